// libmosquitto (Debian: libmosquitto-dev), the MQTT sink's client, found through
// pkg-config (libmosquitto.pc).
#include <mosquitto.h>
