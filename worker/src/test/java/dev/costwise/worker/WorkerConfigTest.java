package dev.costwise.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerConfigTest {

  @Test
  void noConfigurationMeansEmbeddedServicesOnLoopback() {
    WorkerConfig c = WorkerConfig.builder().environment(Map.of()).build();
    assertThat(c.embeddedTemporal()).isTrue();
    assertThat(c.embeddedDatabase()).isTrue();
    assertThat(c.effectiveTemporalAddress()).isEqualTo("127.0.0.1:7233");
    assertThat(c.temporalNamespace()).isEqualTo("default");
    assertThat(c.httpHost()).isEqualTo("127.0.0.1");
    assertThat(c.embeddedDatabaseDir()).isEqualTo(Path.of("costwise-data", "pgdata"));
    assertThat(c.apiToken()).isNull();
  }

  @Test
  void flagsBeatEnvironmentWhichBeatsDefaults() {
    WorkerConfig c =
        WorkerConfig.builder()
            .environment(
                Map.of(
                    "TEMPORAL_ADDRESS",
                    "temporal:7233",
                    "TEMPORAL_NAMESPACE",
                    "costs",
                    "COSTWISE_HTTP_PORT",
                    "9000"))
            .temporalAddress("other:7233")
            .httpPort(null)
            .build();
    assertThat(c.temporalAddress()).isEqualTo("other:7233");
    assertThat(c.temporalNamespace()).isEqualTo("costs");
    assertThat(c.httpPort()).isEqualTo(9000);
    assertThat(c.embeddedTemporal()).isFalse();
  }

  @Test
  void platformStyleDatabaseUrlsBecomeJdbcUrls() {
    WorkerConfig c =
        WorkerConfig.builder()
            .environment(
                Map.of("DATABASE_URL", "postgres://cost%40ops:s3cr%3At@db.internal:5433/costs"))
            .build();
    assertThat(c.databaseUrl())
        .isEqualTo("jdbc:postgresql://db.internal:5433/costs?user=cost%40ops&password=s3cr%3At");
    assertThat(WorkerConfig.redact(c.databaseUrl()))
        .doesNotContain("s3cr")
        .contains("password=***");
    assertThat(WorkerConfig.builder().databaseUrl("jdbc:postgresql://h/db").build().databaseUrl())
        .isEqualTo("jdbc:postgresql://h/db");
  }

  @Test
  void badSettingsAreRejectedWithTheSettingNamed() {
    assertThatThrownBy(() -> WorkerConfig.builder().temporalAddress("http://temporal").build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("must be HOST:PORT")
        .hasMessageContaining("TEMPORAL_ADDRESS");
    assertThatThrownBy(() -> WorkerConfig.builder().temporalAddress("temporal:99999").build())
        .hasMessageContaining("bad port");
    assertThatThrownBy(() -> WorkerConfig.builder().databaseUrl("mysql://x/y").build())
        .hasMessageContaining("not a PostgreSQL URL")
        .hasMessageContaining("DATABASE_URL");
    assertThatThrownBy(() -> WorkerConfig.builder().databaseUser("bob").build())
        .hasMessageContaining("no database URL");
    assertThatThrownBy(
            () ->
                WorkerConfig.builder().environment(Map.of("COSTWISE_HTTP_PORT", "eighty")).build())
        .hasMessageContaining("COSTWISE_HTTP_PORT is 'eighty'");
    assertThatThrownBy(() -> WorkerConfig.builder().httpPort(70000).build())
        .hasMessageContaining("HTTP port 70000 is out of range");
    assertThatThrownBy(
            () ->
                WorkerConfig.builder()
                    .environment(Map.of("COSTWISE_STRICT_PRICING", "maybe"))
                    .build())
        .hasMessageContaining("use true or false");
  }

  @Test
  void httpCanBeTurnedOffOrGivenAnyFreePort() {
    assertThat(WorkerConfig.builder().httpPort(-1).build().httpPort()).isEqualTo(-1);
    assertThat(WorkerConfig.builder().httpPort(0).build().httpPort()).isZero();
  }

  @Test
  void stopGraceComesFromTheFlagOrTheEnvironmentWithinBounds() {
    assertThat(WorkerConfig.builder().environment(Map.of()).build().stopGrace())
        .isEqualTo(java.time.Duration.ofSeconds(20));
    WorkerConfig c =
        WorkerConfig.builder()
            .environment(Map.of("COSTWISE_STOP_GRACE", "5", "COSTWISE_SIMULATED_LATENCY", "0.5"))
            .build();
    assertThat(c.stopGrace()).isEqualTo(java.time.Duration.ofSeconds(5));
    assertThat(c.simulatedLatency()).isEqualTo(java.time.Duration.ofMillis(500));
    assertThat(
            WorkerConfig.builder()
                .environment(Map.of("COSTWISE_STOP_GRACE", "5"))
                .stopGrace("0")
                .build()
                .stopGrace())
        .isZero();
    assertThatThrownBy(
            () -> WorkerConfig.builder().environment(Map.of("COSTWISE_STOP_GRACE", "-1")).build())
        .isInstanceOf(ConfigException.class)
        .hasMessage("COSTWISE_STOP_GRACE is '-1'; give a number of seconds from 0 to 600");
    assertThatThrownBy(() -> WorkerConfig.builder().stopGrace("1e999999999").build())
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("--stop-grace is '1e999999999'");
  }

  @Test
  void writeBehindIsOffUnlessALingerIsGivenByFlagOrEnvironment() {
    assertThat(WorkerConfig.builder().environment(Map.of()).build().writeBehind()).isNull();
    assertThat(
            WorkerConfig.builder()
                .environment(Map.of("COSTWISE_WRITE_BEHIND", "0.01"))
                .build()
                .writeBehind())
        .isEqualTo(java.time.Duration.ofMillis(10));
    assertThat(WorkerConfig.builder().writeBehind("0").build().writeBehind()).isZero();
    assertThat(
            WorkerConfig.builder()
                .environment(Map.of("COSTWISE_WRITE_BEHIND", "0.5"))
                .writeBehind("OFF")
                .build()
                .writeBehind())
        .as("the flag turns off what the environment turned on")
        .isNull();
    assertThatThrownBy(
            () -> WorkerConfig.builder().environment(Map.of("COSTWISE_WRITE_BEHIND", "2")).build())
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "COSTWISE_WRITE_BEHIND is '2'; give off, or the seconds writers gather a batch for,"
                + " from 0 to 1 (e.g. 0.01)");
    assertThatThrownBy(() -> WorkerConfig.builder().writeBehind("yes").build())
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("--write-behind is 'yes'");
  }
}
