// libmodbus (Debian: libmodbus-dev), found through pkg-config (libmodbus.pc adds
// -I/usr/include/modbus).
#include <modbus.h>
