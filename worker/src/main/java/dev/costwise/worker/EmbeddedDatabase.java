package dev.costwise.worker;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The PostgreSQL the zero-config start runs: a real server (embedded binaries) listening on the
 * loopback interface, whose data folder is kept between starts so recorded costs survive a restart.
 */
public final class EmbeddedDatabase implements AutoCloseable {
  private final EmbeddedPostgres postgres;
  private final Path dataDir;

  private EmbeddedDatabase(EmbeddedPostgres postgres, Path dataDir) {
    this.postgres = postgres;
    this.dataDir = dataDir;
  }

  /**
   * Starts PostgreSQL on {@code port} with its files in {@code dataDir} (created and initialized on
   * first use, reused after).
   *
   * @throws StartupException when the folder cannot be used or the server does not start
   */
  public static EmbeddedDatabase start(Path dataDir, int port) {
    Path dir = dataDir.toAbsolutePath().normalize();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new StartupException(
          "Cannot create the database folder "
              + dir
              + ": "
              + e.getMessage()
              + "; choose another with --data-dir / "
              + WorkerConfig.Env.DATA_DIR,
          e);
    }
    try {
      EmbeddedPostgres pg =
          EmbeddedPostgres.builder()
              .setDataDirectory(dir.toFile())
              .setCleanDataDirectory(false)
              .setPort(port)
              .setServerConfig("listen_addresses", "127.0.0.1")
              // the embedded defaults favour test speed (no fsync, asynchronous commit); costs must
              // survive a crash
              .setServerConfig("fsync", "on")
              .setServerConfig("synchronous_commit", "on")
              .setPGStartupWait(Duration.ofSeconds(60))
              .start();
      return new EmbeddedDatabase(pg, dir);
    } catch (IOException | RuntimeException e) {
      throw new StartupException(
          "Cannot start the embedded PostgreSQL on 127.0.0.1:"
              + port
              + " with data in "
              + dir
              + ": "
              + e.getMessage()
              + " (is the port in use, or is another worker using this data folder? choose others with --db-port /"
              + " --data-dir, or connect to a PostgreSQL with "
              + WorkerConfig.Env.DATABASE_URL
              + ")",
          e);
    }
  }

  /**
   * JDBC URL of the {@code postgres} database (user {@code postgres}, no password: loopback only).
   */
  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/postgres";
  }

  /** The port it listens on. */
  public int port() {
    return postgres.getPort();
  }

  /** The data folder. */
  public Path dataDir() {
    return dataDir;
  }

  @Override
  public void close() throws IOException {
    postgres.close();
  }
}
