/// The dashboard's files (`Assets/`: one page, one script, one style sheet), embedded in the
/// binary at build time (no CDN, no build step, nothing to install beside the executable).
/// The page draws from `/api/site` and `/api/events` and charts `/api/history/{id}`; every
/// number carries its unit, states are words as well as colours.
enum DashboardAssets {
    static let html = String(decoding: PackageResources.index_html, as: UTF8.self)
    static let style = String(decoding: PackageResources.dashboard_css, as: UTF8.self)
    static let script = String(decoding: PackageResources.dashboard_js, as: UTF8.self)
}
