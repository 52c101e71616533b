// Package pages holds one templ page per file, each taking one view-model
// struct defined in views.go. Pages display; handlers in internal/web
// decide what the view model holds.
package pages
