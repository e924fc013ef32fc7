/*
 * bms_driver.h — the bmsgate driver ABI.
 *
 * This header is the whole contract between the bmsgate host and a driver
 * plugin. A driver is a shared object (.so) that exports exactly one symbol,
 * `bms_driver_entry`, and never links any symbol of the host. It can be written
 * in C, Swift or anything else that can export a C function.
 *
 * Rules that hold for every type below:
 *  - Versioning. BMS_ABI_MAJOR changes only when an existing field or operation
 *    changes meaning; the host refuses a driver of another major with a clear
 *    error. BMS_ABI_MINOR grows when fields are appended. Every struct that
 *    crosses the boundary starts with `struct_size` (sizeof as the writer of
 *    the struct compiled it); readers never touch bytes past struct_size, so
 *    old drivers keep loading in newer hosts and the other way round.
 *  - Memory. Whoever allocates, frees. The host owns everything it passes in
 *    (links, option arrays, reading buffers, response buffers); a driver copies
 *    what it wants to keep. A driver owns its table, its strings and its
 *    instance state; the host never frees them and never dlclose()s a driver.
 *  - Threading. The host calls one instance from one thread at a time (the
 *    thread of the bus the pack sits on). Different instances of one driver may
 *    be called concurrently from different bus threads, so a driver keeps no
 *    mutable global state. Link callbacks may only be called from inside the
 *    operation the link was handed to (open/poll/identify/command/close of the
 *    same instance, or discover).
 *  - Errors. Operations return BMS_OK (0) or a negative bms_status. Unknown
 *    negative codes are treated as BMS_ERR_DEVICE by the host.
 *  - Units. SI everywhere: volts, amperes (positive = charging), watts,
 *    degrees Celsius, percent, ampere-hours, milliseconds for durations.
 *    A value the device does not report is NaN (see BMS_NAN).
 *  - Growth. A reader checks that a field is inside the writer's struct before
 *    reading it: BMS_HAS(ptr, field). Fields of ABI 1.1 are marked "(1.1)".
 *  - Buffers. BMS_ERR_BUFFER has one meaning: a host-owned buffer was too
 *    small, and the length out-parameter says the size needed (bytes,
 *    including the NUL of text); nothing else was written. The host retries
 *    once with that much room; a second BMS_ERR_BUFFER fails the operation.
 *    command(): *response_len. The retry carries the identical request; a
 *    command with effects must not repeat them but return the answer it kept
 *    (BMSDriverKit does this for Swift drivers). exchange(): *out_len; the
 *    emulator keeps the answer and the retry passes no input (in_len 0).
 *    poll() has no length out-parameter: there BMS_ERR_BUFFER says that cells
 *    or temperatures did not fit and the host keeps what was written.
 *  - Command errors. A failed command() still writes a JSON object into the
 *    response: {"error": "one-line reason", "status": 404}; "status" (an HTTP
 *    status the HTTP API answers with) is optional. Return BMS_ERR_FORBIDDEN
 *    for a write the pack does not allow, BMS_ERR_INVALID for a bad request.
 *  - Secrets. Requests and answers may hold keys and passwords: a driver never
 *    passes them to link->log. The host never logs command bodies, and redacts
 *    any JSON member whose name contains key, password, passcode, token or
 *    secret wherever it prints one.
 *  - Files. The host loads only regular files named `libbmsdriver-<name>.so`
 *    (e.g. libbmsdriver-basen.so) from its plugin folders, so no other library
 *    that sits in the same folder is ever dlopen()ed.
 *  - Swift. A driver written in Swift must be built with the same Swift
 *    toolchain as the host (they share one Swift runtime; no Swift type crosses
 *    this boundary, but the runtime's own symbols do). C drivers have no such
 *    constraint. Never dlclose() is assumed: the host keeps every plugin loaded.
 *
 * Emulators (bms_emulator_ops) and how the host talks to them:
 *  - Serial and TCP sim buses: the bytes the driver writes reach exchange()
 *    unchanged, in any chunking; what it returns is read by the driver.
 *  - I2C sim buses (`transport: i2c`): every i2c_transfer is encoded as one
 *    exchange() input `49 addr_lo addr_hi wlen_lo wlen_hi wdata... rlen_lo
 *    rlen_hi` (0x49 = 'I', little-endian lengths); the emulator answers `00`
 *    followed by exactly rlen bytes (ACK), `01` (NACK), or nothing when the
 *    address is not one of its own. The host adds and checks SMBus PEC itself.
 *  - BLE sim buses (`transport: ble` or `ble-combined`): the host runs a GATT
 *    peripheral with the driver's ble_service_uuid, ble_write_uuid and
 *    ble_notify_uuid (one characteristic for both with ble-combined); a GATT
 *    write becomes one exchange() input and each answer becomes notifications
 *    of at most the negotiated MTU. The emulator is created with the pack's
 *    BLE address in "addresses" and serves that one device.
 */
#ifndef BMS_DRIVER_H
#define BMS_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Major ABI version spoken by this header. A host loads only drivers of the same major. */
#define BMS_ABI_MAJOR 1
/** Minor ABI version: grows when fields are appended to the structs below. */
#define BMS_ABI_MINOR 3

/** Name of the one symbol every driver .so exports (see bms_driver_entry_fn). */
#define BMS_DRIVER_ENTRY_SYMBOL "bms_driver_entry"

/**
 * True when the struct at `ptr` (which starts with struct_size) is large
 * enough to hold `field`: read appended fields only when this holds.
 */
#define BMS_HAS(ptr, field) \
    ((ptr)->struct_size >= offsetof(__typeof__(*(ptr)), field) + sizeof((ptr)->field))

/** NaN for "not reported"; drivers fill every double they do not know with it. */
#define BMS_NAN (__builtin_nan(""))

/** Result codes. 0 is success; every failure is negative. */
typedef enum bms_status {
    BMS_OK = 0,
    /** No (complete) answer within the timeout. Counted as a timeout. */
    BMS_ERR_TIMEOUT = -1,
    /** A frame arrived but its checksum/CRC is wrong. Counted as a checksum error. */
    BMS_ERR_CHECKSUM = -2,
    /** A frame arrived but its header, length, address or layout is wrong. */
    BMS_ERR_FRAME = -3,
    /** The transport failed (port vanished, connection reset). The host reopens it. */
    BMS_ERR_IO = -4,
    /** The operation or request is not supported by this driver or transport. */
    BMS_ERR_UNSUPPORTED = -5,
    /** An argument or option is invalid (unknown key, out of range value). */
    BMS_ERR_INVALID = -6,
    /** A host-provided buffer is too small; the call may be retried with more room. */
    BMS_ERR_BUFFER = -7,
    /** The device answered with an error, or any other failure. */
    BMS_ERR_DEVICE = -8,
    /** A write was requested but the pack's configuration does not allow writes. */
    BMS_ERR_FORBIDDEN = -9
} bms_status;

/** Transport kinds, used as bits in bms_driver.transports and as bms_link.transport. */
enum bms_transport {
    /** A byte stream on a local serial port (RS485/RS232/UART, termios). */
    BMS_TRANSPORT_SERIAL = 1u << 0,
    /** A byte stream over TCP to a serial bridge (ser2net, EW11...). */
    BMS_TRANSPORT_TCP = 1u << 1,
    /** I2C/SMBus transfers through bms_link.i2c_transfer. */
    BMS_TRANSPORT_I2C = 1u << 2,
    /** Bluetooth LE: write/read carry GATT write and notification payloads. */
    BMS_TRANSPORT_BLE = 1u << 3
};

/** Log levels for bms_link.log. */
enum bms_log_level {
    BMS_LOG_DEBUG = 0,
    BMS_LOG_INFO = 1,
    BMS_LOG_WARNING = 2,
    BMS_LOG_ERROR = 3
};

/** Flags for bms_link.i2c_transfer. */
enum bms_i2c_flags {
    /** Append (on write) and verify (on read) an SMBus PEC byte. */
    BMS_I2C_PEC = 1u << 0
};

/**
 * One key/value option from the site YAML (`options:` of a pack, plus
 * `address`). Strings are NUL-terminated UTF-8, owned by the host, valid for
 * the duration of the call they are passed to.
 */
typedef struct bms_option {
    /** Option name, e.g. "protocol_version". */
    const char *key;
    /** Option value as written in YAML, e.g. "JK02_32S", "1", "0x0B". */
    const char *value;
} bms_option;

/**
 * The host's side of the transport, handed to open() and discover().
 * Owned by the host; valid until close() returns (or until discover() returns).
 * The driver never opens a device itself: all I/O goes through these calls,
 * so the same driver runs on a real port, a TCP bridge or an emulator.
 */
typedef struct bms_link {
    /** sizeof(bms_link) as compiled by the host. */
    uint32_t struct_size;
    /** One of enum bms_transport: what kind of bus this is. */
    uint32_t transport;
    /** Pack address from the config as text ("1", "0x0B", "C8:47:8C:12:34:56"); "" if none. */
    const char *address;
    /** Per-transaction timeout configured for the pack, in milliseconds (> 0). */
    uint32_t timeout_ms;
    /** Opaque host context: pass it back as the first argument of every callback. */
    void *ctx;
    /**
     * Write `len` bytes. Blocks until all are written or the transport fails.
     * Returns the number of bytes written (== len) or a negative bms_status.
     * On BLE one call is one GATT write.
     */
    int32_t (*write)(void *ctx, const uint8_t *data, size_t len);
    /**
     * Read up to `cap` bytes, waiting at most `timeout_ms` for the first byte.
     * Returns as soon as some bytes are available: the count read (> 0),
     * 0 when the timeout passed with nothing received, or a negative
     * bms_status (BMS_ERR_IO when the transport failed). The host may return
     * 0 earlier than asked when the poll's overall time budget is spent, and
     * returns BMS_ERR_TIMEOUT when the host probes a pack that stopped
     * answering and the device did not start answering in time: end the
     * operation and return that status.
     */
    int32_t (*read)(void *ctx, uint8_t *buf, size_t cap, uint32_t timeout_ms);
    /** Discard any received but unread bytes. Returns BMS_OK or a negative bms_status. */
    int32_t (*flush)(void *ctx);
    /**
     * One I2C transaction to 7-bit `address`: write `wlen` bytes then (repeated
     * start) read `rlen` bytes; either length may be 0. `flags` are bms_i2c_flags.
     * NULL on buses that are not I2C. Returns BMS_OK or a negative bms_status.
     */
    int32_t (*i2c_transfer)(void *ctx, uint16_t address, const uint8_t *wdata, size_t wlen,
                            uint8_t *rdata, size_t rlen, uint32_t flags);
    /** Log a NUL-terminated message at a bms_log_level. The host adds bus/pack context. */
    void (*log)(void *ctx, int32_t level, const char *message);
    /** Monotonic clock in milliseconds (arbitrary epoch). Drivers use it, never their own. */
    uint64_t (*now_ms)(void *ctx);
    /** Sleep for `ms` milliseconds (inter-frame gaps, throttles). */
    void (*sleep_ms)(void *ctx, uint32_t ms);
    /** (1.1) The bus id from the site file, e.g. "rack". Never NULL. */
    const char *bus_id;
    /**
     * (1.1) What the bus is, for diagnostics: the device path ("/dev/ttyUSB0",
     * "/dev/i2c-1"), "host:port" for TCP, the adapter for BLE, or
     * "sim:<bus id>" for a simulated bus. Never NULL.
     */
    const char *bus_device;
    /**
     * (1.3) Read at least `min` and at most `cap` bytes: like read(), but returns
     * only once `min` bytes arrived, or when the timeout passed (then with what did
     * arrive, possibly 0). A driver that knows how many bytes its answer still needs
     * (a length field in the header) asks for them at once: the host can then sleep
     * through their wire time instead of waking for every chunk the port delivers.
     * `min` is a lower bound, never a guess: an answer shorter than `min` is only
     * seen when the timeout passes. Same statuses as read(). NULL-checked with
     * BMS_HAS(link, read_at_least); a driver falls back to read().
     */
    int32_t (*read_at_least)(void *ctx, uint8_t *buf, size_t min, size_t cap, uint32_t timeout_ms);
} bms_link;

/** Device identity; every field a NUL-terminated string, "" when unknown. */
typedef struct bms_identity {
    /** sizeof(bms_identity) as compiled by the host. */
    uint32_t struct_size;
    char model[64];
    char serial[64];
    char hardware[64];
    char firmware[64];
    char manufacturer[64];
} bms_identity;

/** Canonical alarm bits: every driver maps its vendor bits onto these. */
enum bms_alarm {
    BMS_ALARM_CELL_OVERVOLTAGE = 1u << 0,
    BMS_ALARM_CELL_UNDERVOLTAGE = 1u << 1,
    BMS_ALARM_PACK_OVERVOLTAGE = 1u << 2,
    BMS_ALARM_PACK_UNDERVOLTAGE = 1u << 3,
    BMS_ALARM_CHARGE_OVERCURRENT = 1u << 4,
    BMS_ALARM_DISCHARGE_OVERCURRENT = 1u << 5,
    BMS_ALARM_SHORT_CIRCUIT = 1u << 6,
    BMS_ALARM_CHARGE_OVERTEMPERATURE = 1u << 7,
    BMS_ALARM_CHARGE_UNDERTEMPERATURE = 1u << 8,
    BMS_ALARM_DISCHARGE_OVERTEMPERATURE = 1u << 9,
    BMS_ALARM_DISCHARGE_UNDERTEMPERATURE = 1u << 10,
    BMS_ALARM_MOS_OVERTEMPERATURE = 1u << 11,
    BMS_ALARM_CELL_IMBALANCE = 1u << 12,
    BMS_ALARM_LOW_SOC = 1u << 13,
    BMS_ALARM_SENSOR_FAULT = 1u << 14,
    BMS_ALARM_COMMUNICATION = 1u << 15,
    BMS_ALARM_INTERNAL_FAULT = 1u << 16
};

/** Bits of bms_reading.cell_flags[i]. */
enum bms_cell_flag {
    /** The cell's balancer is active. */
    BMS_CELL_BALANCING = 1u << 0
};

/** Tri-state for switch-like values (MOSFETs). */
enum bms_tristate {
    BMS_UNKNOWN = -1,
    BMS_OFF = 0,
    BMS_ON = 1
};

/**
 * One reading, filled by poll(). The host allocates it, sets struct_size and
 * the array capacities, sets every double to NaN, every count to 0 and the
 * tri-states to BMS_UNKNOWN, then calls poll(). The driver sets what it knows.
 */
typedef struct bms_reading {
    /** sizeof(bms_reading) as compiled by the host. */
    uint32_t struct_size;
    /** Pack voltage, V. */
    double voltage;
    /** Pack current, A, positive = charging. */
    double current;
    /** Power, W, positive = charging. The host computes voltage*current when NaN. */
    double power;
    /** State of charge, % (0..100). */
    double soc;
    /** State of health, % (0..100). */
    double soh;
    /** Remaining capacity, Ah. */
    double remaining_capacity;
    /** Full (design or learned) capacity, Ah. */
    double full_capacity;
    /** Charge cycles (a count, as a double so NaN can say "unknown"). */
    double cycles;
    /** Power-stage (MOSFET) temperature, °C. */
    double mos_temperature;
    /** Ambient / board temperature, °C. */
    double ambient_temperature;

    /** Host-owned array of cell voltages in V, cell 1 first; room for cells_capacity. */
    double *cells;
    /** Capacity of `cells` and `cell_flags` (host sets). */
    uint32_t cells_capacity;
    /** Number of cells written (driver sets; <= cells_capacity). */
    uint32_t cell_count;
    /** Host-owned per-cell bms_cell_flag bits, parallel to `cells`. */
    uint8_t *cell_flags;

    /** Host-owned array of cell/pack probe temperatures, °C. */
    double *temperatures;
    /** Capacity of `temperatures` (host sets). */
    uint32_t temperatures_capacity;
    /** Number of temperatures written (driver sets). */
    uint32_t temperature_count;

    /** OR of bms_alarm bits currently active. */
    uint64_t alarms;
    /** Charge MOSFET / switch: a bms_tristate. */
    int32_t charge_enabled;
    /** Discharge MOSFET / switch: a bms_tristate. */
    int32_t discharge_enabled;

    /**
     * Opaque host context for the three callbacks below. Strings passed to
     * them are copied by the host before the callback returns.
     */
    void *host;
    /** Add one vendor status text (e.g. "Charging", "Cell_Over_VOL_Alarm"). */
    void (*add_status)(void *host, const char *text);
    /**
     * Set a named numeric extra (e.g. "cell_ov_protect_start", 3.65).
     * Three names mean the limits the BMS itself asks for right now, and the
     * host's bank limits honour them: "charge_current_limit" and
     * "discharge_current_limit" (A, >= 0), "charge_voltage_limit" (V).
     * Name endings give units to Home Assistant discovery: "_voltage" V,
     * "_current" A, "_temperature" degC, "_power" W, "_resistance[_N]" Ohm,
     * "_capacity" Ah; give values in those units.
     */
    void (*set_extra_number)(void *host, const char *name, double value);
    /** Set a named text extra (e.g. "status_bitmask", "00:00:..."). */
    void (*set_extra_text)(void *host, const char *name, const char *value);

    /** On failure, a NUL-terminated one-line reason written by the driver (host-owned buffer). */
    char error[160];
} bms_reading;

/**
 * The optional device emulator of a driver. It turns request bytes into the
 * response bytes the real device would send, so every driver can be tested
 * and demonstrated without hardware (`bmsgate simulate`, `type: sim` buses).
 * One emulator instance is used by one thread at a time.
 */
typedef struct bms_emulator_ops {
    /** sizeof(bms_emulator_ops) as compiled by the driver. */
    uint32_t struct_size;
    /**
     * Create an emulator. Options: "addresses" = comma-separated device
     * addresses to serve (e.g. "1,2"), plus driver-specific keys. On success
     * stores the instance in *emulator and returns BMS_OK.
     */
    int32_t (*create)(const bms_option *options, size_t option_count, void **emulator);
    /**
     * Feed bytes received from the host (any chunking: a partial frame, one
     * frame or several) and collect the bytes to send back. Writes at most
     * `out_cap` bytes to `out` and their count to *out_len (0 when nothing is
     * due yet, e.g. a partial frame or an address that is silenced).
     */
    int32_t (*exchange)(void *emulator, const uint8_t *in, size_t in_len,
                        uint8_t *out, size_t out_cap, size_t *out_len);
    /**
     * Change the simulated device, with a one-line text command, e.g.
     * "silence 2", "answer 2", "set 1 soc=50", "alarm 1 cell_overvoltage",
     * "clear 1", "help". Writes a NUL-terminated one-line answer into
     * `response` (host-owned, `response_cap` bytes). May be NULL.
     */
    int32_t (*control)(void *emulator, const char *command, char *response, size_t response_cap);
    /** Destroy an emulator created by create(). */
    void (*destroy)(void *emulator);
} bms_emulator_ops;

/** Value types of a driver option (bms_option_desc.type). */
enum bms_option_type {
    /** Text, any value. */
    BMS_OPTION_STRING = 0,
    /** An integer, decimal or 0x-hex ("12", "0x0B"); min/max apply. */
    BMS_OPTION_INT = 1,
    /** A number ("3.65", "1e-3"); min/max apply. */
    BMS_OPTION_DOUBLE = 2,
    /** "true" or "false" (YAML's true/false). */
    BMS_OPTION_BOOL = 3,
    /** One of the comma-separated `values`. */
    BMS_OPTION_ENUM = 4
};

/**
 * (1.1) One option a driver accepts in a pack's `options:` map. The host
 * validates the site file against these (`bmsgate check`: an unknown key, a
 * wrong type, a value out of range or not in the enum is a config error with
 * its FILE:LINE:COL), lists them (`bmsgate drivers --json`) and passes the
 * options to open() as text, exactly as written. A descriptor with key
 * "address" describes the pack's `address:` instead (INT with min/max for a
 * bus address, STRING otherwise): the host then also compares addresses by
 * value, so "1", "01" and "0x01" are the same device. Owned by the driver,
 * immutable, valid for the life of the process.
 */
typedef struct bms_option_desc {
    /** sizeof(bms_option_desc) as compiled by the driver. */
    uint32_t struct_size;
    /** One of enum bms_option_type. */
    uint32_t type;
    /** The key in `options:`, [a-z0-9_]+. */
    const char *key;
    /** The value used when the key is absent, as text; NULL when there is none. */
    const char *default_value;
    /** Lowest allowed value (INT, DOUBLE); NaN for no lower bound. */
    double min;
    /** Highest allowed value (INT, DOUBLE); NaN for no upper bound. */
    double max;
    /** ENUM: the allowed values, comma-separated ("JK02_24S,JK02_32S,JK04"). NULL otherwise. */
    const char *values;
    /** One line of help for users, with the unit where there is one. */
    const char *help;
} bms_option_desc;

/** Flags of a command descriptor (bms_command_desc.flags). */
enum bms_command_flags {
    /**
     * The command changes the device (settings, registers, seal state...).
     * The host calls it only for an authenticated caller (the HTTP API's
     * bearer token) on a pack with `allow_writes: true`; the driver still
     * refuses writes itself when allow_writes is false.
     */
    BMS_COMMAND_WRITES = 1u << 0
};

/**
 * (1.1) One vendor command the driver's command() understands. The request
 * JSON is an object whose "op" member is `name`; other members are the
 * command's fields. From these descriptors the host builds the HTTP routes
 * `<http_method> /api/packs/{id}/<http_path>` (and `/api/<http_path>` when
 * exactly one pack of the site serves that path), their OpenAPI entries and
 * who may call them. On a GET the query parameters become request fields
 * (as strings); on a POST the JSON body object does, plus the query.
 * Owned by the driver, immutable, valid for the life of the process.
 */
typedef struct bms_command_desc {
    /** sizeof(bms_command_desc) as compiled by the driver. */
    uint32_t struct_size;
    /** OR of enum bms_command_flags. */
    uint32_t flags;
    /** The "op" of the request, [a-z0-9_]+, unique within the driver. */
    const char *name;
    /** One line for users and the OpenAPI summary. */
    const char *summary;
    /** "GET" or "POST"; NULL when the command has no HTTP route of its own. */
    const char *http_method;
    /**
     * The route below /api/packs/{id}/, e.g. "bms/diag" or "bms" ([a-z0-9_/-]+,
     * no leading or trailing '/'); NULL when there is no route.
     */
    const char *http_path;
    /**
     * Names of the query parameters the command reads, comma-separated ("q");
     * NULL for none. They are listed in the OpenAPI document.
     */
    const char *query;
    /**
     * The request body as a JSON Schema object (text), e.g.
     * {"type":"object","properties":{"value":{"type":"number"}},"required":["value"]};
     * NULL when the command takes no body.
     */
    const char *request_schema;
    /** The answer as a JSON Schema object (text); NULL for "a JSON object". */
    const char *answer_schema;
    /**
     * A boolean request field that makes a call of a non-writing command a
     * write when it is true (e.g. "write_mode" of an "apply profile" that can
     * also be a dry run); NULL when there is none.
     */
    const char *writes_when;
} bms_command_desc;

/** Called by discover() once per device found. Strings are copied by the host. */
typedef void (*bms_found_fn)(void *found_ctx, const char *address, const char *description);

/**
 * The driver table: identity and operations. Returned by bms_driver_entry,
 * owned by the driver, immutable and valid for the life of the process.
 * Optional operations are NULL when not provided; the host then answers
 * "unsupported" itself.
 */
typedef struct bms_driver {
    /** sizeof(bms_driver) as compiled by the driver. */
    uint32_t struct_size;
    /** ABI major the table follows (must equal the host's BMS_ABI_MAJOR). */
    uint32_t abi_major;
    /** ABI minor the driver was built against. */
    uint32_t abi_minor;
    /** Driver id used in the site YAML (`driver: basen`): [a-z0-9-]+, unique. */
    const char *id;
    /** Vendor / product family, human readable. */
    const char *vendor;
    /** Driver version, e.g. "1.0.0". */
    const char *version;
    /** One-line description. */
    const char *description;
    /** OR of enum bms_transport the driver can run on. */
    uint32_t transports;
    /** Default serial baud rate (used when a serial bus sets none), e.g. 9600. */
    uint32_t default_baud;
    /** BLE service UUID (e.g. "ffe0"); NULL when BLE is not supported. */
    const char *ble_service_uuid;
    /** BLE characteristic to subscribe notifications on; NULL when unused. */
    const char *ble_notify_uuid;
    /** BLE characteristic to write commands to; NULL when unused. */
    const char *ble_write_uuid;

    /**
     * Open one pack. Options come from the pack's YAML (`options:` map plus
     * "allow_writes" = "true"/"false"). The driver may exchange frames (to
     * check the device answers) or defer that to poll(). On success stores an
     * instance in *instance. An unknown option is BMS_ERR_INVALID.
     */
    int32_t (*open)(const bms_link *link, const bms_option *options, size_t option_count,
                    void **instance);
    /** Poll the pack once and fill `reading`. On failure also fill reading->error. */
    int32_t (*poll)(void *instance, bms_reading *reading);
    /** Fill `identity` (model, serial, firmware...). May be NULL. */
    int32_t (*identify)(void *instance, bms_identity *identity);
    /**
     * Find devices on a bus (addresses on RS485, ...). Calls `found` once per
     * device. May be NULL.
     */
    int32_t (*discover)(const bms_link *link, const bms_option *options, size_t option_count,
                        bms_found_fn found, void *found_ctx);
    /**
     * A vendor operation, as a JSON request (e.g. {"op":"read","register":"0x80"}).
     * Writes a JSON response (NUL-terminated) into the host-owned `response`
     * buffer and its length to *response_len. Writes must be refused with
     * BMS_ERR_FORBIDDEN unless the pack was opened with allow_writes=true.
     * May be NULL.
     */
    int32_t (*command)(void *instance, const char *request_json, char *response,
                       size_t response_cap, size_t *response_len);
    /** Release an instance. Called once per successful open(). */
    void (*close)(void *instance);
    /** The device emulator, or NULL. */
    const bms_emulator_ops *emulator;
    /**
     * Decode captured frames offline (`bmsgate decode`), in order, e.g. a
     * device-info frame then a cell-info frame. Fills `reading` and `identity`
     * with what the frames hold. A bad frame (checksum, length, header) is an
     * error with reading->error naming the frame (1-based) and the fault.
     * May be NULL.
     */
    int32_t (*decode)(const bms_option *options, size_t option_count,
                      const uint8_t *const *frames, const size_t *frame_lengths, size_t frame_count,
                      bms_reading *reading, bms_identity *identity);
    /** (1.1) The commands command() understands, `command_count` of them; NULL for none. */
    const bms_command_desc *const *commands;
    /** (1.1) Number of entries in `commands`. */
    size_t command_count;
    /** (1.1) The options open() accepts, `option_count` of them; NULL when not described. */
    const bms_option_desc *const *options;
    /** (1.1) Number of entries in `options`. */
    size_t option_count;
    /**
     * (1.2) The names the driver's devices advertise over BLE, comma-separated
     * patterns where `*` matches any run of characters and `?` one character
     * (e.g. "JK-*,JK_*"); `bmsgate scan --ble` marks matching devices with the
     * driver. NULL when unknown (devices are then matched by service UUID alone).
     */
    const char *ble_names;
    /**
     * (1.2) Serial line defaults the host applies to a serial (or simulated) bus whose
     * site file does not set them, comma-separated key=value: parity=none|even|odd,
     * data_bits=5..8, stop_bits=1|2, dtr=on|off; and timeout_ms=N, the default per-pack
     * transaction timeout. NULL for 8N1, DTR as the port opens, the host's timeout.
     */
    const char *serial_defaults;
} bms_driver;

/**
 * The entry symbol. The host passes the ABI major it speaks; the driver
 * returns its table, or NULL when it cannot serve that major.
 */
typedef const bms_driver *(*bms_driver_entry_fn)(uint32_t host_abi_major);

/** Declaration of the entry symbol a driver defines (export it with default visibility). */
const bms_driver *bms_driver_entry(uint32_t host_abi_major);

#ifdef __cplusplus
}
#endif

#endif /* BMS_DRIVER_H */
