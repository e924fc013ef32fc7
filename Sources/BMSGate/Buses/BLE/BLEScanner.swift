import CBluetooth
import Foundation

/// An active LE scan through a local adapter (HCI), collecting advertisements until the
/// timeout (or until every `wanted` device was seen). Needs CAP_NET_ADMIN or root.
public enum BLEScanner {
    /// Scans for `timeout`; `progress` is called once per newly seen device.
    public static func scan(adapter: String, timeout: Duration, wanted: [String] = [],
                            progress: (BLEAdvertisement) -> Void = { _ in }) throws(TransportError) -> [BLEAdvertisement] {
        let id = hci_devid(adapter)
        guard id >= 0 else {
            throw TransportError("no Bluetooth adapter '\(adapter)' on this machine (is bluetoothd running and the adapter up? `hciconfig` lists them)")
        }
        let dd = hci_open_dev(id)
        guard dd >= 0 else { throw TransportError("Bluetooth adapter '\(adapter)': \(String(cString: strerror(errno)))") }
        defer { close(dd) }
        guard hci_le_set_scan_parameters(dd, 0x01, UInt16(0x0010).littleEndian, UInt16(0x0010).littleEndian, 0x00, 0x00, 1000) >= 0 else {
            throw TransportError("LE scan parameters on \(adapter): \(String(cString: strerror(errno))) (scanning needs root or CAP_NET_ADMIN)")
        }
        guard hci_le_set_scan_enable(dd, 0x01, 0x00, 1000) >= 0 else {
            throw TransportError("LE scan on \(adapter): \(String(cString: strerror(errno)))")
        }
        defer { _ = hci_le_set_scan_enable(dd, 0x00, 0x00, 1000) }
        var filter = hci_filter()
        hci_filter_clear(&filter)
        hci_filter_set_ptype(HCI_EVENT_PKT, &filter)
        hci_filter_set_event(EVT_LE_META_EVENT, &filter)
        _ = setsockopt(dd, SOL_HCI, HCI_FILTER, &filter, socklen_t(MemoryLayout<hci_filter>.size))
        var seen: [String: BLEAdvertisement] = [:]
        var order: [String] = []
        let deadline = MonotonicClock.nowMs() + UInt64(max(0, timeout.milliseconds))
        var buffer = [UInt8](repeating: 0, count: Int(HCI_MAX_EVENT_SIZE))
        while MonotonicClock.nowMs() < deadline {
            var p = pollfd(fd: dd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, Int32(max(1, Int(deadline) - Int(MonotonicClock.nowMs())))) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { read(dd, $0.baseAddress, $0.count) }
            // HCI event packet: type, event code, length, subevent, parameters.
            guard n > 4, buffer[1] == UInt8(EVT_LE_META_EVENT), buffer[3] == UInt8(EVT_LE_ADVERTISING_REPORT) else { continue }
            for ad in BLEAdvertisement.reports(Array(buffer[4..<n])) {
                if var known = seen[ad.address] {
                    known.name = known.name ?? ad.name
                    known.rssi = ad.rssi
                    seen[ad.address] = known
                } else {
                    seen[ad.address] = ad
                    order.append(ad.address)
                    progress(ad)
                }
            }
            if !wanted.isEmpty, wanted.allSatisfy({ w in seen.values.contains { $0.matches(w) } }) { break }
        }
        return order.compactMap { seen[$0] }
    }
}
