package dev.costwise.pricing;

/**
 * A long-context tier: when a call's prompt (input plus cached tokens) is above {@code
 * aboveInputTokens}, the whole call is priced at {@code rates}, which overlay the base rates.
 */
public record Tier(long aboveInputTokens, Rates rates) {
  /** Rejects a non-positive threshold. */
  public Tier {
    if (aboveInputTokens <= 0) {
      throw new IllegalArgumentException(
          "tier threshold must be positive, was " + aboveInputTokens);
    }
    if (rates == null) {
      throw new IllegalArgumentException("tier needs rates");
    }
  }
}
