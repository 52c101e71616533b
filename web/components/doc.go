// Package components holds cmcoord's shared templ components: the page
// shell (Page), flash messages and, as features arrive, form fields,
// pagination and status badges. Components are pure: they display the
// view model they are given and read only cross-cutting values (the
// translator) from the context, through the helpers in i18n.go.
package components
