// Package liquidtest renders the README's webhook templates the way Braze and
// Zendesk render them, for end-to-end tests: the templates are read from
// README.md itself (so the documentation cannot drift from what is tested),
// rendered by a real Liquid engine (github.com/osteele/liquid) with Braze's
// attribute syntax and json_escape filter, or with Zendesk's unescaped
// placeholders, for two fixed corpora of hostile Braze profiles and hostile
// Zendesk tickets.
//
// It is test infrastructure: no shipped code imports it.
package liquidtest
