package dev.costwise.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * No Docker engine runs in the build, so the production stack's files are checked by reading them:
 * the compose services, their ports and references, the files they mount, and that Prometheus,
 * Grafana and the admin tools name what the worker really serves and upserts.
 */
class DeploymentFilesTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode compose() throws IOException {
    return YAML.readTree(ROOT.resolve("docker-compose.yml").toFile());
  }

  @Test
  void composeHasTheWholeStack() throws IOException {
    Set<String> services = new HashSet<>();
    compose().path("services").fieldNames().forEachRemaining(services::add);
    assertThat(services)
        .containsExactlyInAnyOrder(
            "postgresql",
            "temporal",
            "temporal-admin-tools",
            "temporal-ui",
            "worker",
            "prometheus",
            "grafana");
    JsonNode s = compose().path("services");
    assertThat(s.path("temporal").path("image").asText()).startsWith("temporalio/auto-setup:");
    assertThat(s.path("temporal").path("environment").path("DB").asText()).isEqualTo("postgres12");
    assertThat(s.path("temporal").path("environment").path("POSTGRES_SEEDS").asText())
        .isEqualTo("postgresql");
    assertThat(s.path("temporal-ui").path("image").asText()).startsWith("temporalio/ui:");
    assertThat(s.path("temporal-admin-tools").path("image").asText())
        .startsWith("temporalio/admin-tools:");
  }

  @Test
  void everyDependencyNamesAServiceAndEveryHostPortIsPublishedOnce() throws IOException {
    JsonNode services = compose().path("services");
    Set<String> names = new HashSet<>();
    services.fieldNames().forEachRemaining(names::add);
    Set<String> hostPorts = new HashSet<>();
    services
        .fields()
        .forEachRemaining(
            e -> {
              JsonNode deps = e.getValue().path("depends_on");
              List<String> depNames = new ArrayList<>();
              if (deps.isArray()) {
                deps.forEach(d -> depNames.add(d.asText()));
              } else {
                deps.fieldNames().forEachRemaining(depNames::add);
              }
              assertThat(names).as("depends_on of " + e.getKey()).containsAll(depNames);
              for (JsonNode p : e.getValue().path("ports")) {
                Matcher m =
                    Pattern.compile("(?:127\\.0\\.0\\.1:)?(\\d+):(\\d+)").matcher(p.asText());
                assertThat(m.matches())
                    .as("port mapping " + p.asText() + " of " + e.getKey())
                    .isTrue();
                assertThat(hostPorts.add(m.group(1)))
                    .as("host port " + m.group(1) + " published twice")
                    .isTrue();
              }
            });
    assertThat(hostPorts).contains("7233", "8080", "8088", "9090", "3000");
  }

  @Test
  void everyMountedFileAndTheDockerfileExist() throws IOException {
    JsonNode compose = compose();
    JsonNode services = compose.path("services");
    services
        .fields()
        .forEachRemaining(
            e -> {
              for (JsonNode v : e.getValue().path("volumes")) {
                String source = v.asText().split(":")[0];
                if (source.startsWith("./")) {
                  assertThat(ROOT.resolve(source)).as("mounted by " + e.getKey()).exists();
                } else {
                  assertThat(compose.path("volumes").has(source))
                      .as("named volume " + source + " is declared")
                      .isTrue();
                }
              }
            });
    JsonNode build = services.path("worker").path("build");
    Path dockerfile =
        ROOT.resolve(build.path("context").asText()).resolve(build.path("dockerfile").asText());
    assertThat(dockerfile).exists();
    String docker = Files.readString(dockerfile);
    assertThat(docker)
        .contains("FROM eclipse-temurin:17-jre")
        .contains("costwise-worker.jar")
        .contains("AS build");
    Matcher copies = Pattern.compile("(?m)^COPY (?!--from)(\\S+) ").matcher(docker);
    while (copies.find()) {
      assertThat(ROOT.resolve(copies.group(1))).as("COPY source in Dockerfile").exists();
    }
  }

  @Test
  void workerIsConfiguredForTheStacksServices() throws IOException {
    JsonNode env = compose().path("services").path("worker").path("environment");
    assertThat(env.path("TEMPORAL_ADDRESS").asText()).isEqualTo("temporal:7233");
    assertThat(env.path("DATABASE_URL").asText()).startsWith("jdbc:postgresql://postgresql:5432/");
    WorkerConfig config =
        WorkerConfig.builder().environment(YAML.convertValue(env, java.util.Map.class)).build();
    assertThat(config.embeddedTemporal()).isFalse();
    assertThat(config.embeddedDatabase()).isFalse();
    assertThat(config.httpHost()).isEqualTo("0.0.0.0");
    assertThat(config.apiToken()).isNotNull();
    String init = Files.readString(ROOT.resolve("deploy/postgres/10-costwise.sql"));
    assertThat(init)
        .contains("CREATE DATABASE costwise")
        .contains("ROLE " + env.path("DATABASE_USER").asText());
  }

  @Test
  void prometheusScrapesTheWorkersMetricsPort() throws IOException {
    JsonNode prom = YAML.readTree(ROOT.resolve("deploy/prometheus/prometheus.yml").toFile());
    JsonNode job = prom.path("scrape_configs").get(0);
    assertThat(job.path("metrics_path").asText()).isEqualTo("/metrics");
    String port =
        compose()
            .path("services")
            .path("worker")
            .path("environment")
            .path("COSTWISE_HTTP_PORT")
            .asText();
    assertThat(job.path("static_configs").get(0).path("targets").get(0).asText())
        .isEqualTo("worker:" + port);
  }

  @Test
  void adminToolsRegisterTheSearchAttributesTheWorkerUses() throws IOException {
    String script = Files.readString(ROOT.resolve("deploy/temporal/register-search-attributes.sh"));
    for (var attribute : SearchAttributes.COST.keySet()) {
      assertThat(script).contains("register " + attribute + " ");
    }
  }

  @Test
  void grafanaIsProvisionedWithADashboardOverTheCostMetrics() throws IOException {
    JsonNode ds =
        YAML.readTree(
            ROOT.resolve("deploy/grafana/provisioning/datasources/prometheus.yml").toFile());
    assertThat(ds.path("datasources").get(0).path("url").asText())
        .isEqualTo("http://prometheus:9090");
    String uid = ds.path("datasources").get(0).path("uid").asText();
    JsonNode provider =
        YAML.readTree(ROOT.resolve("deploy/grafana/provisioning/dashboards/costwise.yml").toFile());
    assertThat(provider.path("providers").get(0).path("options").path("path").asText())
        .isEqualTo("/var/lib/grafana/dashboards");
    JsonNode dash = JSON.readTree(ROOT.resolve("deploy/grafana/dashboards/costwise.json").toFile());
    Set<String> metrics = new HashSet<>();
    for (JsonNode panel : dash.path("panels")) {
      assertThat(panel.path("datasource").path("uid").asText()).isIn(uid, "costwise-postgres");
      for (JsonNode t : panel.path("targets")) {
        Matcher m = Pattern.compile("costwise_[a-z_]+").matcher(t.path("expr").asText());
        while (m.find()) {
          metrics.add(m.group());
        }
      }
    }
    assertThat(metrics)
        .contains(
            "costwise_cost_usd_total",
            "costwise_tokens_total",
            "costwise_images_total",
            "costwise_video_seconds_total",
            "costwise_speech_characters_total",
            "costwise_audio_seconds_total",
            "costwise_usage_unpriced_total",
            "costwise_persistence_failures_total");
  }

  @Test
  void grafanasSqlPanelsRunAgainstTheCostSchemaAsTheReadOnlyRole() throws Exception {
    JsonNode ds =
        YAML.readTree(
            ROOT.resolve("deploy/grafana/provisioning/datasources/costwise-postgres.yml").toFile());
    JsonNode pg = ds.path("datasources").get(0);
    assertThat(pg.path("uid").asText()).isEqualTo("costwise-postgres");
    assertThat(pg.path("url").asText()).isEqualTo("postgresql:5432");
    assertThat(pg.path("jsonData").path("database").asText()).isEqualTo("costwise");
    assertThat(Files.readString(ROOT.resolve("deploy/postgres/10-costwise.sql")))
        .contains("CREATE ROLE " + pg.path("user").asText())
        .contains("GRANT SELECT ON TABLES TO " + pg.path("user").asText());

    JsonNode dash = JSON.readTree(ROOT.resolve("deploy/grafana/dashboards/costwise.json").toFile());
    List<String> queries = new ArrayList<>();
    Set<String> variables = new HashSet<>();
    for (JsonNode v : dash.path("templating").path("list")) {
      variables.add(v.path("name").asText());
      if (v.path("datasource").path("uid").asText().equals("costwise-postgres")) {
        queries.add(v.path("query").asText());
      }
    }
    assertThat(variables).contains("tenant", "root_run");
    for (JsonNode panel : dash.path("panels")) {
      if (panel.path("datasource").path("uid").asText().equals("costwise-postgres")) {
        for (JsonNode t : panel.path("targets")) {
          queries.add(t.path("rawSql").asText());
        }
      }
    }
    assertThat(queries).hasSizeGreaterThanOrEqualTo(4);
    assertThat(String.join("\n", queries)).contains("tenant").contains("root_run_id");

    javax.sql.DataSource db = dev.costwise.testing.TestDatabase.fresh();
    try (java.sql.Connection c = db.getConnection();
        java.sql.Statement s = c.createStatement()) {
      s.execute(
          "DO $$ BEGIN CREATE ROLE costwise_reader; EXCEPTION WHEN duplicate_object THEN NULL;"
              + " END $$");
      s.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO costwise_reader");
      s.execute("SET ROLE costwise_reader");
      for (String q : queries) {
        String sql = grafanaMacros(q);
        assertThat(sql).as("every macro and variable replaced in: " + q).doesNotContain("$");
        s.executeQuery(sql).close();
      }
    }
  }

  /** The query as Grafana sends it, for the last 7 days, one tenant and one root run. */
  private static String grafanaMacros(String q) {
    String from = "'2026-11-16T00:00:00Z'::timestamptz";
    String to = "'2026-11-23T00:00:00Z'::timestamptz";
    Matcher m = Pattern.compile("\\$__timeFilter\\(([a-z_]+)\\)").matcher(q);
    q = m.replaceAll(r -> r.group(1) + " BETWEEN " + from + " AND " + to);
    return q.replace("$__timeFrom()", from)
        .replace("$__timeTo()", to)
        .replace("${tenant:sqlstring}", "'acme'")
        .replace("${root_run:sqlstring}", "'run-1'");
  }
}
