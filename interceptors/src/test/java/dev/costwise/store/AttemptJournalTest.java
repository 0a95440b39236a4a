package dev.costwise.store;

import static dev.costwise.store.Attempts.attempt;
import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.usage.Usage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal stays cheap however many attempts wait in it: with more attempts recorded and not yet
 * written than its roll threshold holds (a database behind by thousands of attempts), ending them
 * must not rewrite the whole journal at each end.
 */
class AttemptJournalTest {
  @TempDir Path dir;

  /** Final rows of an attempt, large enough that a few thousand pass the roll threshold. */
  private static List<StepRow> rows(int i) {
    Usage u = Usage.of("openai", "gpt-4o").inputTokens(1_000 + i).outputTokens(200).build();
    return CostStore.rows(attempt("run-" + (i % 50), "act-" + i, 1, Outcome.COMPLETED, u));
  }

  @Test
  void endingAttemptsBehindABacklogLargerThanTheRollThresholdRollsRarelyAndKeepsTheRest()
      throws Exception {
    Path file = dir.resolve("journal.jsonl");
    AttemptJournal journal = new AttemptJournal(file);
    int backlog = 0;
    List<String> keys = new ArrayList<>();
    // record until the journal is over 1.5 times the threshold: a roll then keeps more than it
    while (journal.bytes() < 6L << 20) {
      List<StepRow> r = rows(backlog++);
      assertThat(journal.recorded(r)).isPositive();
      keys.add(AttemptJournal.key(r.get(0)));
    }
    // a steady state: each new attempt recorded, the oldest waiting one written and ended
    int ended = 0;
    for (int i = 0; i < 2_000; i++) {
      List<StepRow> r = rows(backlog + i);
      journal.recorded(r);
      keys.add(AttemptJournal.key(r.get(0)));
      journal.ended(keys.get(ended++));
    }
    assertThat(journal.rolls())
        .as("rewrites of the journal over 2,000 ends with %d attempts waiting", backlog)
        .isLessThanOrEqualTo(2);
    // a worker dying now leaves exactly the attempts not yet ended to the next start
    AttemptJournal.Unfinished left = AttemptJournal.read(file);
    assertThat(left.recorded().keySet())
        .containsExactlyInAnyOrderElementsOf(keys.subList(ended, keys.size()));
    assertThat(left.interrupted()).isEmpty();
    for (String k : keys.subList(ended, keys.size())) {
      journal.ended(k);
    }
    journal.close();
    assertThat(AttemptJournal.read(file).recorded()).isEmpty();
    assertThat(Files.exists(file)).as("journal file left after every attempt ended").isFalse();
  }

  /** Records and ends attempts until the journal has rolled once. */
  private static void rollOnce(AttemptJournal journal) {
    for (int i = 0; journal.rolls() == 0; i++) {
      assertThat(i).as("attempts ended before the journal rolled").isLessThan(100_000);
      List<StepRow> r = rows(i);
      journal.recorded(r);
      journal.ended(AttemptJournal.key(r.get(0)));
    }
  }

  /**
   * An attempt's rows as observed while it ran: outcome interrupted, time and tags of their own.
   */
  private static List<StepRow> observedRows(List<StepRow> finalRows) {
    return finalRows.stream()
        .map(r -> r.withEnd("INTERRUPTED", r.recordedAt().minusSeconds(1), "{}"))
        .toList();
  }

  @Test
  void finalRowsThatAreTheObservedRowsAreJournaledByReferenceAndReadBackWhole() throws Exception {
    Path file = dir.resolve("journal.jsonl");
    AttemptJournal journal = new AttemptJournal(file);
    Usage mini = Usage.of("openai", "gpt-4o-mini").inputTokens(10).outputTokens(5).build();
    Usage big = Usage.of("openai", "gpt-4o").inputTokens(1_000).outputTokens(200).build();
    // same lines as observed: journaled by reference
    List<StepRow> same = CostStore.rows(attempt("run-1", "same", 1, Outcome.COMPLETED, mini, big));
    observedRows(same).forEach(journal::observed);
    long sizeBefore = journal.bytes();
    assertThat(journal.recorded(same)).isPositive();
    long reference = journal.bytes() - sizeBefore;
    // a line that differs from what was observed (another cost): journaled in full
    List<StepRow> other = CostStore.rows(attempt("run-1", "other", 1, Outcome.FAILED, mini, big));
    List<StepRow> seenOther =
        observedRows(CostStore.rows(attempt("run-1", "other", 1, Outcome.FAILED, mini, mini)));
    seenOther.forEach(journal::observed);
    sizeBefore = journal.bytes();
    assertThat(journal.recorded(other)).isPositive();
    long full = journal.bytes() - sizeBefore;
    assertThat(reference)
        .as("bytes of rows by reference, against %d in full", full)
        .isLessThan(full / 4);

    AttemptJournal.Unfinished left = AttemptJournal.read(file);
    assertThat(left.recorded().get(AttemptJournal.key(same.get(0)))).isEqualTo(same);
    assertThat(left.recorded().get(AttemptJournal.key(other.get(0)))).isEqualTo(other);
    assertThat(left.interrupted()).isEmpty();

    // a roll keeps the observed lines the reference needs, before it
    rollOnce(journal);
    left = AttemptJournal.read(file);
    assertThat(left.recorded()).hasSize(2);
    assertThat(left.recorded().get(AttemptJournal.key(same.get(0)))).isEqualTo(same);
    journal.close();

    // a file that lost the observed lines keeps nothing it cannot rebuild (and does not fail)
    List<String> lines = Files.readAllLines(file);
    Files.write(file, lines.stream().filter(l -> !l.contains("\"observed\"")).toList());
    left = AttemptJournal.read(file);
    assertThat(left.recorded()).containsOnlyKeys(AttemptJournal.key(other.get(0)));
  }

  /**
   * Attempts completing together each see their own line synced and none waits out its timeout:
   * each asks the sync thread for a sync and is woken by the one that covers its line, and those
   * arriving during a sync get the next one (a request or a wake-up lost between asking and waiting
   * would leave an attempt waiting for its full timeout). Usage observed with no attempt waiting is
   * still forced to disk within a few milliseconds, by the sync thread.
   */
  @Test
  void attemptsCompletingTogetherEachSeeTheirLineSyncedAndObservedLinesAreSyncedUnasked()
      throws Exception {
    Path file = dir.resolve("journal.jsonl");
    AttemptJournal journal = new AttemptJournal(file);
    int threads = 8;
    int each = 250;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Integer>> runs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int first = t * each;
        runs.add(
            pool.submit(
                () -> {
                  int unsynced = 0;
                  for (int i = first; i < first + each; i++) {
                    List<StepRow> r = rows(i);
                    long position = journal.recorded(r);
                    if (position <= 0
                        || !journal.awaitSynced(position, java.time.Duration.ofSeconds(30))
                        || journal.syncedLines() < position) {
                      unsynced++;
                    }
                    journal.ended(AttemptJournal.key(r.get(0)));
                  }
                  return unsynced;
                }));
      }
      int unsynced = 0;
      for (Future<Integer> run : runs) {
        unsynced += run.get();
      }
      assertThat(unsynced)
          .as("attempts whose line was not synced when their wait returned")
          .isZero();
    } finally {
      pool.shutdownNow();
    }

    List<StepRow> running = observedRows(rows(threads * each));
    running.forEach(journal::observed);
    long appended = journal.appendedLines();
    dev.costwise.testing.Eventually.until(
        "usage observed with no attempt waiting is synced",
        java.time.Duration.ofSeconds(5),
        () -> journal.syncedLines() >= appended);
    journal.close();
    assertThat(AttemptJournal.read(file).interrupted()).hasSize(1);
  }

  /**
   * A journal its worker never closed (killed) ends in the zeros allocated ahead of its lines; read
   * back, it gives the attempts it holds and nothing else, and a journal opened on the same file
   * starts empty.
   */
  @Test
  void aJournalThatWasNotClosedIsReadBackWithoutTheSpaceAllocatedAhead() throws Exception {
    Path file = dir.resolve("journal.jsonl");
    AttemptJournal killed = new AttemptJournal(file);
    List<StepRow> done = rows(1);
    List<StepRow> waiting = rows(2);
    List<StepRow> running = observedRows(rows(3));
    assertThat(killed.awaitSynced(killed.recorded(done), java.time.Duration.ofSeconds(5))).isTrue();
    assertThat(killed.awaitSynced(killed.recorded(waiting), java.time.Duration.ofSeconds(5)))
        .isTrue();
    killed.ended(AttemptJournal.key(done.get(0)));
    running.forEach(killed::observed);
    assertThat(Files.size(file))
        .as("file length against %d bytes of lines", killed.bytes())
        .isGreaterThan(killed.bytes());

    AttemptJournal.Unfinished left = AttemptJournal.read(file);
    assertThat(left.recorded()).containsOnlyKeys(AttemptJournal.key(waiting.get(0)));
    assertThat(left.recorded().get(AttemptJournal.key(waiting.get(0)))).isEqualTo(waiting);
    assertThat(left.interrupted()).containsOnlyKeys(AttemptJournal.key(running.get(0)));
    assertThat(left.interrupted().get(AttemptJournal.key(running.get(0)))).isEqualTo(running);

    // the first line lost with its line break (zeros: a page the disk had not been given before
    // the worker died) leaves zeros at the start of the next line, which still counts
    byte[] bytes = Files.readAllBytes(file);
    int firstEnd = new String(bytes, java.nio.charset.StandardCharsets.UTF_8).indexOf('\n');
    java.util.Arrays.fill(bytes, 0, firstEnd + 1, (byte) 0);
    Files.write(file, bytes);
    left = AttemptJournal.read(file);
    assertThat(left.recorded()).containsOnlyKeys(AttemptJournal.key(waiting.get(0)));
    assertThat(left.interrupted()).containsOnlyKeys(AttemptJournal.key(running.get(0)));

    killed.close();
    AttemptJournal next = new AttemptJournal(file);
    assertThat(AttemptJournal.read(file)).isEqualTo(AttemptJournal.Unfinished.NONE);
    next.close();
  }

  /** An attempt's final rows, started at {@code started}, with one usage. */
  private static List<StepRow> execution(
      String run, String activity, java.time.Instant started, Usage u) {
    return CostStore.rows(Attempts.startedAt(run, activity, started, u));
  }

  /**
   * A run may reuse an activity id once the activity ended. With write-behind the next execution
   * can start, and be recorded, before the last one's rows reached the database: the end of the
   * first must not take the second's lines with it, in the journal or in what a crash leaves.
   */
  @Test
  void anotherExecutionOfTheSameActivityIdAndAttemptKeepsItsLinesWhenTheFirstEnds()
      throws Exception {
    Path file = dir.resolve("journal.jsonl");
    AttemptJournal journal = new AttemptJournal(file);
    Usage mini = Usage.of("openai", "gpt-4o-mini").inputTokens(10).outputTokens(5).build();
    Usage big = Usage.of("openai", "gpt-4o").inputTokens(1_000).outputTokens(200).build();
    List<StepRow> first = execution("run-r", "call", Attempts.T0, mini);
    List<StepRow> second = execution("run-r", "call", Attempts.T0.plusSeconds(3), big);
    assertThat(AttemptJournal.key(first.get(0))).isNotEqualTo(AttemptJournal.key(second.get(0)));

    assertThat(journal.recorded(first)).isPositive(); // the first waits for the database
    observedRows(second).forEach(journal::observed); // the second runs meanwhile
    assertThat(journal.recorded(second)).isPositive();
    journal.ended(AttemptJournal.key(first.get(0))); // the first reached the database

    assertThat(journal.openAttempts()).as("the second execution is still open").isEqualTo(1);
    AttemptJournal.Unfinished left = AttemptJournal.read(file);
    assertThat(left.recorded()).containsOnlyKeys(AttemptJournal.key(second.get(0)));
    assertThat(left.recorded().get(AttemptJournal.key(second.get(0)))).isEqualTo(second);
    assertThat(left.interrupted()).isEmpty();

    // a roll keeps it too
    rollOnce(journal);
    assertThat(AttemptJournal.read(file).recorded())
        .containsOnlyKeys(AttemptJournal.key(second.get(0)));
    journal.close();
  }

  /**
   * A journal left by a release whose keys had no start time (run, activity id and attempt number
   * only) is read as it was written: final rows by reference find their observed lines, and an end
   * removes the attempt it names.
   */
  @Test
  void aJournalWhoseKeysHaveNoStartTimeIsStillReadBack() throws Exception {
    Usage mini = Usage.of("openai", "gpt-4o-mini").inputTokens(10).outputTokens(5).build();
    List<StepRow> byReference = execution("run-old", "A", Attempts.T0, mini);
    List<StepRow> ended = execution("run-old", "B", Attempts.T0, mini);
    List<StepRow> inFull = execution("run-old", "C", Attempts.T0, mini);
    List<StepRow> running = observedRows(execution("run-old", "D", Attempts.T0, mini));
    java.util.function.Function<StepRow, String> legacy =
        r -> r.runId() + "\u0000" + r.activityId() + "\u0000" + r.attempt();
    List<byte[]> lines = new ArrayList<>();
    for (StepRow r : observedRows(byReference)) {
      lines.add(JournalLines.encode(new AttemptJournal.Entry(r, null)));
    }
    StepRow a = byReference.get(0);
    lines.add(
        JournalLines.encode(
            new AttemptJournal.Entry(
                null,
                null,
                null,
                new AttemptJournal.AsObserved(
                    legacy.apply(a), a.outcome(), a.recordedAt(), a.tags(), byReference.size()))));
    for (StepRow r : observedRows(ended)) {
      lines.add(JournalLines.encode(new AttemptJournal.Entry(r, null)));
    }
    lines.add(JournalLines.encode(new AttemptJournal.Entry(null, legacy.apply(ended.get(0)))));
    lines.add(JournalLines.encode(new AttemptJournal.Entry(null, null, inFull, null)));
    for (StepRow r : running) {
      lines.add(JournalLines.encode(new AttemptJournal.Entry(r, null)));
    }
    Path file = dir.resolve("old.jsonl");
    try (var out = Files.newOutputStream(file)) {
      for (byte[] line : lines) {
        out.write(line);
      }
    }

    AttemptJournal.Unfinished left = AttemptJournal.read(file);
    assertThat(left.recorded())
        .containsOnlyKeys(
            AttemptJournal.key(byReference.get(0)), AttemptJournal.key(inFull.get(0)));
    assertThat(left.recorded().get(AttemptJournal.key(byReference.get(0)))).isEqualTo(byReference);
    assertThat(left.interrupted()).containsOnlyKeys(AttemptJournal.key(running.get(0)));
  }
}
