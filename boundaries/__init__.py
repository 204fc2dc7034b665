"""Area layers: loading, lookups across vintages, deprivation roll-up, web layers."""
