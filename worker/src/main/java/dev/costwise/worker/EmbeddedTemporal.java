package dev.costwise.worker;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.temporal.internal.testservice.GRPCServerHelper;
import io.temporal.internal.testservice.TestServicesStarter;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The Temporal dev server the zero-config start runs in-process: the SDK's test server (real
 * workflow semantics, in-memory history) served over gRPC on the loopback interface only, so the
 * {@code temporal} CLI and other clients on this machine can use it and nothing else can. The cost
 * search attributes are registered on start.
 */
public final class EmbeddedTemporal implements AutoCloseable {
  private final TestServicesStarter services;
  private final Server server;
  private final int port;

  private EmbeddedTemporal(TestServicesStarter services, Server server) {
    this.services = services;
    this.server = server;
    this.port = server.getPort();
  }

  /**
   * Starts the server on {@code 127.0.0.1:port} and registers the cost search attributes in {@code
   * namespace}.
   *
   * @throws StartupException when the port is taken or the server does not start
   */
  public static EmbeddedTemporal start(int port, String namespace) {
    // Time skipping locked, as the SDK's own standalone server does: timers run in real time.
    TestServicesStarter services = new TestServicesStarter(true, 0);
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
            InsecureServerCredentials.create());
    GRPCServerHelper.registerServicesAndHealthChecks(services.getServices(), builder);
    Server server;
    try {
      server = builder.build().start();
    } catch (IOException e) {
      services.close();
      boolean taken = e instanceof BindException || e.getCause() instanceof BindException;
      throw new StartupException(
          "Cannot start the embedded Temporal server on 127.0.0.1:"
              + port
              + ": "
              + (taken
                  ? "the port is in use (another Temporal server or worker?); stop it, choose another port with"
                      + " --temporal-port / "
                      + WorkerConfig.Env.TEMPORAL_PORT
                      + ", or connect to it with "
                      + WorkerConfig.Env.TEMPORAL_ADDRESS
                  : e.getMessage()),
          e);
    }
    EmbeddedTemporal temporal = new EmbeddedTemporal(services, server);
    SearchAttributes.ensureRegistered(temporal.address(), namespace);
    return temporal;
  }

  /** The {@code host:port} clients use. */
  public String address() {
    return "127.0.0.1:" + port;
  }

  /** The port actually bound. */
  public int port() {
    return port;
  }

  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    services.close();
  }
}
