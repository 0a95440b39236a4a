package dev.costwise.store;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.Module;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.deser.std.DelegatingDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.costwise.usage.UsageCounts;
import java.io.IOException;
import java.lang.reflect.RecordComponent;

/**
 * Reads step rows that a journal or spool file holds in the older flat shape (amounts beside the
 * other fields rather than under {@code counts}), so files written by an earlier version are still
 * recorded after an upgrade.
 */
final class LegacyStepRows extends BeanDeserializerModifier {

  /** A Jackson module that reads both shapes of {@link StepRow}. */
  static Module module() {
    SimpleModule m = new SimpleModule("costwise-legacy-step-rows");
    m.setDeserializerModifier(new LegacyStepRows());
    return m;
  }

  @Override
  public JsonDeserializer<?> modifyDeserializer(
      DeserializationConfig config, BeanDescription bean, JsonDeserializer<?> deserializer) {
    return bean.getBeanClass() == StepRow.class ? new Upgrading(deserializer) : deserializer;
  }

  /** Moves flat amounts under {@code counts}, then reads the row as usual. */
  private static final class Upgrading extends DelegatingDeserializer {
    Upgrading(JsonDeserializer<?> delegate) {
      super(delegate);
    }

    @Override
    protected JsonDeserializer<?> newDelegatingInstance(JsonDeserializer<?> delegate) {
      return new Upgrading(delegate);
    }

    @Override
    public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      JsonNode tree = ctxt.readTree(p);
      if (tree instanceof ObjectNode o && !o.has("counts")) {
        ObjectNode counts = o.objectNode();
        for (RecordComponent c : UsageCounts.class.getRecordComponents()) {
          JsonNode v = o.remove(c.getName());
          if (v != null) {
            counts.set(c.getName(), v);
          }
        }
        o.set("counts", counts);
      }
      JsonParser upgraded = tree.traverse(p.getCodec());
      upgraded.nextToken();
      return _delegatee.deserialize(upgraded, ctxt);
    }
  }
}
