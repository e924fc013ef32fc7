// The core values (Reading, alarms, bank status, limits, snapshots) are part of the host's
// API: whoever imports BMSGate sees them.
@_exported import BMSCore
