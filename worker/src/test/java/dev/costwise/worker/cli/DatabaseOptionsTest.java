package dev.costwise.worker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.costwise.testing.TestDatabase;
import dev.costwise.worker.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.sql.Connection;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command reaches the database the worker reaches: one URL parser, and the user and password
 * given apart from the URL (flag or {@code DATABASE_USER}/{@code DATABASE_PASSWORD}) are used.
 */
class DatabaseOptionsTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  @Test
  void aUserGivenApartFromTheUrlIsUsedAndBothUrlFormsReachTheSameDatabase() throws Exception {
    DataSource ds = TestDatabase.fresh();
    String database;
    try (Connection c = ds.getConnection()) {
      database = c.getCatalog();
    }
    URI withUser = URI.create(TestDatabase.jdbcUrl(database).substring("jdbc:".length()));
    String hostPortDb =
        withUser.getHost() + ":" + withUser.getPort() + withUser.getPath(); // no user in it

    assertThat(run("budget", "list", "--database-url", "jdbc:postgresql://" + hostPortDb))
        .as("no user at all: the server refuses the operating-system user")
        .isEqualTo(1);
    assertThat(
            run(
                "budget",
                "list",
                "--database-url",
                "jdbc:postgresql://" + hostPortDb,
                "--database-user",
                "postgres"))
        .as(err.toString())
        .isZero();
    assertThat(run("budget", "list", "--database-url", "postgres://postgres@" + hostPortDb))
        .as(err.toString())
        .isZero();
    assertThat(run("budget", "list", "--database-url", "mysql://" + hostPortDb)).isEqualTo(2);
    assertThat(err.toString()).contains("is not a PostgreSQL URL");
  }
}
