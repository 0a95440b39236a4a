// Reads a run's __temporal_workflow_metadata query through Temporal's TypeScript client, the way a
// tool outside the Java SDK (the Web UI, the CLI, a script) does, and prints what it got as JSON.
// Usage: node query-metadata.mjs HOST:PORT NAMESPACE WORKFLOW_ID RUN_ID
import { Connection } from '@temporalio/client';

const [address, namespace, workflowId, runId] = process.argv.slice(2);
const connection = await Connection.connect({ address });
try {
  const response = await connection.workflowService.queryWorkflow({
    namespace,
    execution: { workflowId, runId },
    query: { queryType: '__temporal_workflow_metadata' },
  });
  const payload = response.queryResult.payloads[0];
  const encoding = Buffer.from(payload.metadata.encoding).toString('utf8');
  if (encoding !== 'json/protobuf' && encoding !== 'json/plain') {
    throw new Error('unexpected payload encoding ' + encoding);
  }
  const metadata = JSON.parse(Buffer.from(payload.data).toString('utf8'));
  process.stdout.write(JSON.stringify({ encoding, currentDetails: metadata.currentDetails ?? null }));
} finally {
  await connection.close();
}
