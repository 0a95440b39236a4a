#!/bin/sh
# Registers the search attributes the Costwise interceptors upsert (CostUsd, CostStatus, CostLimitUsd, CostSubtreeUsd) in the
# namespace. Safe to run again: attributes that already exist are left as they are.
set -eu
ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"

until temporal operator namespace describe --address "$ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1; do
  echo "waiting for namespace $NAMESPACE on $ADDRESS"
  sleep 2
done

register() {
  if temporal operator search-attribute list --address "$ADDRESS" --namespace "$NAMESPACE" | grep -qw "$1"; then
    echo "search attribute $1 already registered"
  else
    temporal operator search-attribute create --address "$ADDRESS" --namespace "$NAMESPACE" --name "$1" --type "$2"
    echo "registered search attribute $1 ($2)"
  fi
}

register CostUsd Double
register CostStatus Keyword
register CostLimitUsd Double
register CostSubtreeUsd Double
