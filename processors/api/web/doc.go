// Package web is the live dashboard: plain HTML, CSS and JavaScript files
// embedded in the binary (no CDN, no front-end build). The page asks for a
// bearer token (kept in the tab's sessionStorage only), lists the tenants
// the token may read, draws revenue, orders, average order value and unique
// customers of recent closed windows as SVG charts with an expected band
// (mean ± 2 standard deviations of the preceding 12 windows, computed in the
// browser and labelled so), lists open incidents and recent insights, and
// keeps all of it current from the /v1 stream, which it reads with fetch()
// so the token travels in the Authorization header, never in a URL.
package web
