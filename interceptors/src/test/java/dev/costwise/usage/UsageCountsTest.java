package dev.costwise.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

/** The one value of usage amounts: arithmetic kind by kind, exact for seconds. */
class UsageCountsTest {

  private static UsageCounts counts(long base, String seconds) {
    BigDecimal s = new BigDecimal(seconds);
    return new UsageCounts(
        base, base + 1, base + 2, base + 3, base + 4, base + 5, base + 6, s, base + 7, s, base + 8,
        base + 9, base + 10, base + 11);
  }

  @Test
  void plusAndMinusWorkKindByKindAndUndoEachOther() {
    UsageCounts a = counts(10, "1.5");
    UsageCounts b = counts(100, "0.25");
    UsageCounts sum = a.plus(b);
    assertThat(sum.inputTokens()).isEqualTo(110);
    assertThat(sum.cacheWrite1hTokens()).isEqualTo(118);
    assertThat(sum.characters()).isEqualTo(124);
    assertThat(sum.videoSeconds()).isEqualByComparingTo("1.75");
    assertThat(sum.requests()).isEqualTo(130);
    assertThat(sum.webSearches()).isEqualTo(132);
    assertThat(sum.minus(b)).isEqualTo(a);
    assertThat(a.minus(a).isZero()).isTrue();
    assertThat(a.isZero()).isFalse();
  }

  @Test
  void everyKindOfAUsageRecordIsCounted() {
    Usage u =
        Usage.of("openai", "gpt-4o")
            .inputTokens(1)
            .outputTokens(2)
            .cacheReadTokens(3)
            .cacheWriteTokens(4)
            .cacheWrite1hTokens(5)
            .reasoningTokens(6)
            .images(7)
            .videoSeconds(8.5, false)
            .characters(9)
            .audioSeconds(10.25)
            .audioInputTokens(11)
            .audioOutputTokens(12)
            .requests(13)
            .webSearches(14, "high")
            .build();
    assertThat(u.counts())
        .isEqualTo(
            new UsageCounts(
                1,
                2,
                3,
                4,
                5,
                6,
                7,
                new BigDecimal("8.5"),
                9,
                new BigDecimal("10.25"),
                11,
                12,
                13,
                14));
    assertThat(u.searchContextSize()).isEqualTo("high");
    assertThat(Usage.of("openai", "gpt-4o").requests(1).build().hasConsumption()).isTrue();
    assertThat(u.promptTokens()).isEqualTo(1 + 3 + 4 + 5);
    assertThat(UsageCounts.ZERO.isZero()).isTrue();
    assertThat(Usage.of("openai", "gpt-4o").build().hasConsumption()).isFalse();
  }
}
