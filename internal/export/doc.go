// Package export writes the RFA tracker (one row per request) as
// HXL-tagged CSV, JSON and XLSX to an io.Writer, from rows handed to it
// one at a time. The columns are data (Columns): key, English header,
// HXL hashtag, value and who may see them. It holds no SQL and no HTTP;
// it imports only domain and the standard library (and excelize for
// XLSX).
package export
