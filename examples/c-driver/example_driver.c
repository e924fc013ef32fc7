/*
 * example_driver.c — a complete bmsgate driver in plain C, built against nothing but
 * the public header:
 *
 *     cc -shared -fPIC -O2 -I Sources/CBMSDriver/include \
 *        -o example-c.so examples/c-driver/example_driver.c
 *
 * Drop the .so into a plugin folder (plugin_dirs, $BMSGATE_PLUGIN_PATH, or
 * /usr/local/lib/bmsgate/drivers) and the already-built host loads it.
 *
 * Plugin files are named libbmsdriver-<name>.so: the host loads nothing else.
 *
 * The protocol is a tiny line protocol so the example stays readable:
 *   request:  "READ <address>\n"
 *   answer:   "<address> V=<volts> I=<amps> SOC=<percent> T=<celsius> C=<v1>,<v2>,...\n"
 *   request:  "SOC <address> <percent>\n"   answer: "OK <address>\n"  (a write)
 * The driver also ships an emulator of such devices, so it runs on a `type: sim` bus.
 *
 * With ABI 1.1 headers it also describes its options (`temperature_offset`, and the
 * `address` range) and its commands, so `bmsgate check` validates the options and the
 * HTTP API serves GET /api/packs/{id}/example/info and POST /api/packs/{id}/example/soc.
 * Built against a 1.0 header it still loads: the 1.1 parts are left out.
 */
#include "bms_driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- driver ------------------------------------------------------------------ */

typedef struct example_instance {
    const bms_link *link;
    int address;
    int allow_writes;
    double temperature_offset;
    unsigned polls;
} example_instance;

static int32_t example_open(const bms_link *link, const bms_option *options, size_t count, void **instance) {
    double offset = 0;
    int allow_writes = 0;
    for (size_t i = 0; i < count; i++) {
        if (strcmp(options[i].key, "temperature_offset") == 0) {
            offset = strtod(options[i].value, NULL);
        } else if (strcmp(options[i].key, "allow_writes") == 0) {
            allow_writes = strcmp(options[i].value, "true") == 0;
        } else if (strcmp(options[i].key, "address") != 0) {
            link->log(link->ctx, BMS_LOG_ERROR, "example-c: unknown option (known: temperature_offset)");
            return BMS_ERR_INVALID;
        }
    }
    example_instance *me = calloc(1, sizeof *me);
    if (!me) return BMS_ERR_DEVICE;
    me->link = link;
    me->address = (int)strtol(link->address && *link->address ? link->address : "1", NULL, 0);
    me->allow_writes = allow_writes;
    me->temperature_offset = offset;
    *instance = me;
    return BMS_OK;
}

/* Reads one '\n'-terminated line within the link's timeout. */
static int32_t read_line(const bms_link *link, char *line, size_t cap) {
    size_t used = 0;
    uint64_t deadline = link->now_ms(link->ctx) + link->timeout_ms;
    while (used + 1 < cap) {
        uint64_t now = link->now_ms(link->ctx);
        if (now >= deadline) return BMS_ERR_TIMEOUT;
        int32_t n = link->read(link->ctx, (uint8_t *)line + used, 1, (uint32_t)(deadline - now));
        if (n < 0) return n;
        if (n == 0) continue;
        if (line[used] == '\n') { line[used] = 0; return BMS_OK; }
        used += (size_t)n;
    }
    return BMS_ERR_FRAME;
}

static int32_t example_poll(void *instance, bms_reading *r) {
    example_instance *me = instance;
    const bms_link *link = me->link;
    char request[32];
    int len = snprintf(request, sizeof request, "READ %d\n", me->address);
    link->flush(link->ctx);
    int32_t rc = link->write(link->ctx, (const uint8_t *)request, (size_t)len);
    if (rc < 0) return rc;
    char line[512];
    rc = read_line(link, line, sizeof line);
    if (rc != BMS_OK) {
        snprintf(r->error, sizeof r->error, rc == BMS_ERR_TIMEOUT ? "no answer from address %d" : "bad answer from address %d", me->address);
        return rc;
    }
    int address = 0;
    double v, i, soc, t;
    int consumed = 0;
    if (sscanf(line, "%d V=%lf I=%lf SOC=%lf T=%lf C=%n", &address, &v, &i, &soc, &t, &consumed) != 5 || consumed == 0) {
        snprintf(r->error, sizeof r->error, "unparsable answer: %.60s", line);
        return BMS_ERR_FRAME;
    }
    if (address != me->address) {
        snprintf(r->error, sizeof r->error, "answer from address %d, expected %d", address, me->address);
        return BMS_ERR_FRAME;
    }
    r->voltage = v;
    r->current = i;
    r->soc = soc;
    if (r->temperatures_capacity > 0) { r->temperatures[0] = t + me->temperature_offset; r->temperature_count = 1; }
    me->polls++;
    char *cursor = line + consumed;
    while (*cursor && r->cell_count < r->cells_capacity) {
        char *end;
        double cell = strtod(cursor, &end);
        if (end == cursor) break;
        r->cells[r->cell_count] = cell;
        r->cell_flags[r->cell_count] = 0;
        r->cell_count++;
        cursor = (*end == ',') ? end + 1 : end;
    }
    if (soc < 10) r->alarms |= BMS_ALARM_LOW_SOC;
    r->add_status(r->host, soc < 10 ? "Low SoC" : "Normal");
    r->set_extra_number(r->host, "example_protocol", 1);
    return BMS_OK;
}

static int32_t example_identify(void *instance, bms_identity *id) {
    (void)instance;
    snprintf(id->model, sizeof id->model, "Example line-protocol BMS");
    snprintf(id->manufacturer, sizeof id->manufacturer, "bmsgate examples");
    snprintf(id->firmware, sizeof id->firmware, "1.0");
    return BMS_OK;
}

/* Writes a NUL-terminated JSON answer; BMS_ERR_BUFFER with the size needed when it does not fit. */
static int32_t answer(char *response, size_t cap, size_t *len, int32_t status, const char *text) {
    size_t n = strlen(text);
    if (n + 1 > cap) { *len = n + 1; return BMS_ERR_BUFFER; }
    memcpy(response, text, n + 1);
    *len = n;
    return status;
}

/* The string value of "op" in a flat JSON object (enough for this example's requests). */
static int op_is(const char *json, const char *op) {
    const char *p = strstr(json, "\"op\"");
    if (!p) return 0;
    p = strchr(p + 4, '"');
    if (!p) return 0;
    size_t n = strlen(op);
    return strncmp(p + 1, op, n) == 0 && p[1 + n] == '"';
}

/* {"op":"info"} reads; {"op":"set_soc","soc":55} writes (allow_writes and a confirmation). */
static int32_t example_command(void *instance, const char *request, char *response, size_t cap, size_t *len) {
    example_instance *me = instance;
    char text[256];
    if (op_is(request, "info")) {
        snprintf(text, sizeof text, "{\"address\":%d,\"polls\":%u,\"temperature_offset\":%g}",
                 me->address, me->polls, me->temperature_offset);
        return answer(response, cap, len, BMS_OK, text);
    }
    if (!op_is(request, "set_soc"))
        return answer(response, cap, len, BMS_ERR_INVALID, "{\"error\":\"unknown op (known: info, set_soc)\",\"status\":400}");
    if (!me->allow_writes)
        return answer(response, cap, len, BMS_ERR_FORBIDDEN, "{\"error\":\"writes are not allowed for this pack (allow_writes)\",\"status\":403}");
    const char *confirm = strstr(request, "\"confirm\"");
    if (!confirm || !strstr(confirm, "true"))
        return answer(response, cap, len, BMS_ERR_INVALID, "{\"error\":\"set_soc writes: add \\\"confirm\\\": true\",\"status\":400}");
    const char *p = strstr(request, "\"soc\"");
    char *end = NULL;
    double soc = p && strchr(p + 5, ':') ? strtod(strchr(p + 5, ':') + 1, &end) : -1;
    if (!end || soc < 0 || soc > 100)
        return answer(response, cap, len, BMS_ERR_INVALID, "{\"error\":\"soc must be a number from 0 to 100\",\"status\":400}");
    const bms_link *link = me->link;
    char line[64];
    int n = snprintf(line, sizeof line, "SOC %d %.1f\n", me->address, soc);
    link->flush(link->ctx);
    int32_t rc = link->write(link->ctx, (const uint8_t *)line, (size_t)n);
    if (rc < 0) return answer(response, cap, len, rc, "{\"error\":\"the write failed\"}");
    rc = read_line(link, line, sizeof line);
    int address = 0;
    if (rc != BMS_OK || sscanf(line, "OK %d", &address) != 1 || address != me->address)
        return answer(response, cap, len, BMS_ERR_DEVICE, "{\"error\":\"the device did not confirm the write\",\"status\":502}");
    snprintf(text, sizeof text, "{\"ok\":true,\"soc\":%.1f}", soc);
    return answer(response, cap, len, BMS_OK, text);
}

static void example_close(void *instance) { free(instance); }

/* ---- emulator ---------------------------------------------------------------- */

typedef struct example_emulator {
    int addresses[16];
    int silent[16];
    double soc[16];
    size_t count;
    char input[256];
    size_t used;
} example_emulator;

static int32_t emu_create(const bms_option *options, size_t count, void **out) {
    example_emulator *e = calloc(1, sizeof *e);
    if (!e) return BMS_ERR_DEVICE;
    for (size_t i = 0; i < count; i++) {
        if (strcmp(options[i].key, "addresses") != 0) continue;
        const char *p = options[i].value;
        while (*p && e->count < 16) {
            e->addresses[e->count++] = atoi(p);
            p = strchr(p, ',');
            if (!p) break;
            p++;
        }
    }
    if (e->count == 0) e->addresses[e->count++] = 1;
    for (size_t a = 0; a < e->count; a++) e->soc[a] = 80.0 - e->addresses[a];
    *out = e;
    return BMS_OK;
}

static int32_t emu_exchange(void *emulator, const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len) {
    example_emulator *e = emulator;
    *out_len = 0;
    for (size_t k = 0; k < in_len; k++) {
        if (e->used + 1 >= sizeof e->input) e->used = 0;
        e->input[e->used++] = (char)in[k];
        if (in[k] != '\n') continue;
        e->input[e->used - 1] = 0;
        e->used = 0;
        int address;
        double soc;
        int set = sscanf(e->input, "SOC %d %lf", &address, &soc) == 2;
        if (!set && sscanf(e->input, "READ %d", &address) != 1) continue;
        for (size_t a = 0; a < e->count; a++) {
            if (e->addresses[a] != address || e->silent[a]) continue;
            if (set) e->soc[a] = soc;
            int n = set ? snprintf((char *)out + *out_len, cap - *out_len, "OK %d\n", address)
                        : snprintf((char *)out + *out_len, cap - *out_len,
                                   "%d V=%.2f I=%.2f SOC=%.1f T=%.1f C=3.300,3.301,3.302,3.299\n",
                                   address, 13.20, -1.5 * address, e->soc[a], 20.5);
            if (n < 0 || (size_t)n >= cap - *out_len) return BMS_ERR_BUFFER;
            *out_len += (size_t)n;
        }
    }
    return BMS_OK;
}

static int32_t emu_control(void *emulator, const char *command, char *response, size_t cap) {
    example_emulator *e = emulator;
    int address;
    int silence = sscanf(command, "silence %d", &address) == 1;
    if (!silence && sscanf(command, "answer %d", &address) != 1) {
        snprintf(response, cap, "error: commands are 'silence N' and 'answer N'");
        return BMS_ERR_INVALID;
    }
    for (size_t a = 0; a < e->count; a++) {
        if (e->addresses[a] == address) {
            e->silent[a] = silence;
            snprintf(response, cap, "ok");
            return BMS_OK;
        }
    }
    snprintf(response, cap, "error: address %d not served", address);
    return BMS_ERR_INVALID;
}

static void emu_destroy(void *emulator) { free(emulator); }

/* ---- the table and the one exported symbol ------------------------------------ */

static const bms_emulator_ops example_emulator_ops = {
    .struct_size = sizeof(bms_emulator_ops),
    .create = emu_create,
    .exchange = emu_exchange,
    .control = emu_control,
    .destroy = emu_destroy,
};

#if BMS_ABI_MINOR >= 1
/* ABI 1.1: what the driver accepts and offers, described for the host. */
static const bms_option_desc option_address = {
    .struct_size = sizeof(bms_option_desc), .type = BMS_OPTION_INT, .key = "address",
    .default_value = "1", .min = 1, .max = 16, .help = "device address on the line (1-16)",
};
static const bms_option_desc option_offset = {
    .struct_size = sizeof(bms_option_desc), .type = BMS_OPTION_DOUBLE, .key = "temperature_offset",
    .default_value = "0", .min = -10, .max = 10, .help = "added to the probe temperature, degC",
};
static const bms_option_desc *const example_options[] = { &option_address, &option_offset };

static const bms_command_desc command_info = {
    .struct_size = sizeof(bms_command_desc), .name = "info", .summary = "Address, poll count and options",
    .http_method = "GET", .http_path = "example/info",
    .answer_schema = "{\"type\":\"object\",\"properties\":{\"address\":{\"type\":\"integer\"},"
                     "\"polls\":{\"type\":\"integer\"},\"temperature_offset\":{\"type\":\"number\"}}}",
};
static const bms_command_desc command_set_soc = {
    .struct_size = sizeof(bms_command_desc), .flags = BMS_COMMAND_WRITES, .name = "set_soc",
    .summary = "Set the state of charge (%)", .http_method = "POST", .http_path = "example/soc",
    .request_schema = "{\"type\":\"object\",\"properties\":{\"soc\":{\"type\":\"number\",\"minimum\":0,"
                      "\"maximum\":100},\"confirm\":{\"type\":\"boolean\"}},\"required\":[\"soc\",\"confirm\"]}",
};
static const bms_command_desc *const example_commands[] = { &command_info, &command_set_soc };
#endif

static const bms_driver example_table = {
    .struct_size = sizeof(bms_driver),
    .abi_major = BMS_ABI_MAJOR,
    .abi_minor = BMS_ABI_MINOR,
    .id = "example-c",
    .vendor = "bmsgate examples",
    .version = "1.0.0",
    .description = "Example driver in plain C (line protocol)",
    .transports = BMS_TRANSPORT_SERIAL | BMS_TRANSPORT_TCP,
    .default_baud = 9600,
    .open = example_open,
    .poll = example_poll,
    .identify = example_identify,
    .command = example_command,
    .close = example_close,
    .emulator = &example_emulator_ops,
#if BMS_ABI_MINOR >= 1
    .commands = example_commands,
    .command_count = sizeof example_commands / sizeof example_commands[0],
    .options = example_options,
    .option_count = sizeof example_options / sizeof example_options[0],
#endif
};

__attribute__((visibility("default")))
const bms_driver *bms_driver_entry(uint32_t host_abi_major) {
    if (host_abi_major != BMS_ABI_MAJOR) return NULL;
    return &example_table;
}
