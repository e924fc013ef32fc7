import Foundation
import Hummingbird

/// JSON and text responses of the API; errors are always `{"ok": false, "error": "..."}`.
enum APIResponse {
    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response { json(value.render(), status: status) }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var o = JSONObject()
        o["ok"] = .bool(false)
        o["error"] = .string(message)
        return json(.object(o), status: status)
    }

    static func text(_ text: String, contentType: String) -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// The HTTP status of a failed vendor command.
    static func status(of failure: PollFailure) -> HTTPResponse.Status {
        if let code = failure.httpStatus { return HTTPResponse.Status(code: code) }
        switch failure.kind {
        case .forbidden: return .forbidden
        case .config, .unsupported: return .badRequest
        case .timeout, .io, .busy: return .serviceUnavailable
        case .checksum, .frame, .device: return .badGateway
        }
    }
}
