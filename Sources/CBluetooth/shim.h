// BlueZ's libbluetooth (Debian: libbluetooth-dev): L2CAP sockets for the ATT channel and
// the HCI calls of an LE scan. Found through pkg-config (bluez.pc).
#include <sys/socket.h>
#include <bluetooth/bluetooth.h>
#include <bluetooth/l2cap.h>
#include <bluetooth/hci.h>
#include <bluetooth/hci_lib.h>
