/*
 * Compile-time layout checks of the driver ABI (LP64: Linux x86_64/aarch64).
 * A change that moves an existing field fails the build here; fields may only
 * be appended. The Swift tests check the same offsets from the Swift side.
 */
#include "bms_driver.h"
#include <stddef.h>

#if defined(__LP64__)
_Static_assert(offsetof(bms_option, value) == 8, "bms_option layout");
_Static_assert(sizeof(bms_option) == 16, "bms_option size");

_Static_assert(offsetof(bms_link, struct_size) == 0, "bms_link.struct_size first");
_Static_assert(offsetof(bms_link, address) == 8, "bms_link.address");
_Static_assert(offsetof(bms_link, timeout_ms) == 16, "bms_link.timeout_ms");
_Static_assert(offsetof(bms_link, ctx) == 24, "bms_link.ctx");
_Static_assert(offsetof(bms_link, write) == 32, "bms_link.write");
_Static_assert(offsetof(bms_link, sleep_ms) == 80, "bms_link.sleep_ms");
_Static_assert(offsetof(bms_link, bus_id) == 88, "bms_link.bus_id (1.1)");
_Static_assert(offsetof(bms_link, bus_device) == 96, "bms_link.bus_device (1.1)");
_Static_assert(offsetof(bms_link, read_at_least) == 104, "bms_link.read_at_least (1.3)");
_Static_assert(sizeof(bms_link) == 112, "bms_link size");

_Static_assert(offsetof(bms_identity, model) == 4, "bms_identity.model");
_Static_assert(sizeof(bms_identity) == 324, "bms_identity size");

_Static_assert(offsetof(bms_reading, voltage) == 8, "bms_reading.voltage");
_Static_assert(offsetof(bms_reading, ambient_temperature) == 80, "bms_reading.ambient_temperature");
_Static_assert(offsetof(bms_reading, cells) == 88, "bms_reading.cells");
_Static_assert(offsetof(bms_reading, cell_flags) == 104, "bms_reading.cell_flags");
_Static_assert(offsetof(bms_reading, temperatures) == 112, "bms_reading.temperatures");
_Static_assert(offsetof(bms_reading, alarms) == 128, "bms_reading.alarms");
_Static_assert(offsetof(bms_reading, host) == 144, "bms_reading.host");
_Static_assert(offsetof(bms_reading, error) == 176, "bms_reading.error");
_Static_assert(sizeof(bms_reading) == 336, "bms_reading size");

_Static_assert(offsetof(bms_emulator_ops, create) == 8, "bms_emulator_ops.create");
_Static_assert(sizeof(bms_emulator_ops) == 40, "bms_emulator_ops size");

_Static_assert(offsetof(bms_driver, id) == 16, "bms_driver.id");
_Static_assert(offsetof(bms_driver, transports) == 48, "bms_driver.transports");
_Static_assert(offsetof(bms_driver, ble_service_uuid) == 56, "bms_driver.ble_service_uuid");
_Static_assert(offsetof(bms_driver, open) == 80, "bms_driver.open");
_Static_assert(offsetof(bms_driver, emulator) == 128, "bms_driver.emulator");
_Static_assert(offsetof(bms_driver, decode) == 136, "bms_driver.decode");
_Static_assert(offsetof(bms_driver, commands) == 144, "bms_driver.commands (1.1)");
_Static_assert(offsetof(bms_driver, command_count) == 152, "bms_driver.command_count (1.1)");
_Static_assert(offsetof(bms_driver, options) == 160, "bms_driver.options (1.1)");
_Static_assert(offsetof(bms_driver, option_count) == 168, "bms_driver.option_count (1.1)");
_Static_assert(offsetof(bms_driver, ble_names) == 176, "bms_driver.ble_names (1.2)");
_Static_assert(offsetof(bms_driver, serial_defaults) == 184, "bms_driver.serial_defaults (1.2)");
_Static_assert(sizeof(bms_driver) == 192, "bms_driver size");

_Static_assert(offsetof(bms_option_desc, key) == 8, "bms_option_desc.key");
_Static_assert(offsetof(bms_option_desc, min) == 24, "bms_option_desc.min");
_Static_assert(offsetof(bms_option_desc, help) == 48, "bms_option_desc.help");
_Static_assert(sizeof(bms_option_desc) == 56, "bms_option_desc size");

_Static_assert(offsetof(bms_command_desc, name) == 8, "bms_command_desc.name");
_Static_assert(offsetof(bms_command_desc, http_path) == 32, "bms_command_desc.http_path");
_Static_assert(offsetof(bms_command_desc, writes_when) == 64, "bms_command_desc.writes_when");
_Static_assert(sizeof(bms_command_desc) == 72, "bms_command_desc size");
#endif
