package dev.costwise.store;

import java.lang.reflect.Type;
import java.sql.Types;
import java.util.Optional;
import java.util.function.Function;
import org.jdbi.v3.core.argument.Argument;
import org.jdbi.v3.core.argument.ArgumentFactory;
import org.jdbi.v3.core.config.ConfigRegistry;

/**
 * Binds the writer's column arrays ({@code String[]}, {@code int[]}, {@code long[]}) as Java
 * arrays, which the PostgreSQL driver sends in binary. JDBI's default builds a {@code
 * java.sql.Array}, which the driver sends as one escaped text literal that the server must parse
 * again, element by element; for a batch of a few hundred lines over some sixty columns that
 * encoding and parsing was a large part of each write. Registered on the write transactions'
 * handles only.
 */
final class BinaryArrays implements ArgumentFactory.Preparable {
  private static final BinaryArrays INSTANCE = new BinaryArrays();

  private BinaryArrays() {}

  /** Registers the binder on {@code handle}, ahead of JDBI's own array binding. */
  static void register(org.jdbi.v3.core.Handle handle) {
    handle.registerArgument(INSTANCE);
  }

  @Override
  public Optional<Function<Object, Argument>> prepare(Type type, ConfigRegistry config) {
    if (type != String[].class && type != int[].class && type != long[].class) {
      return Optional.empty();
    }
    return Optional.of(BinaryArrays::argument);
  }

  @Override
  public Optional<Argument> build(Type type, Object value, ConfigRegistry config) {
    return prepare(type, config).map(f -> f.apply(value));
  }

  private static Argument argument(Object value) {
    return new Argument() {
      @Override
      public void apply(
          int position,
          java.sql.PreparedStatement statement,
          org.jdbi.v3.core.statement.StatementContext ctx)
          throws java.sql.SQLException {
        if (value == null) {
          statement.setNull(position, Types.ARRAY);
        } else {
          statement.setObject(position, value);
        }
      }

      @Override
      public String toString() {
        return value == null ? "null" : "array of " + java.lang.reflect.Array.getLength(value);
      }
    };
  }
}
