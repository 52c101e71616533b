// Package mailin is cmcoord's inbound SMTP listener (issue 19, comment
// by replying): a reply to a notification e-mail, sent to that e-mail's
// own reply address reply+<token>@<reply domain>, becomes a comment on
// the request by the user the token was made for.
//
// Who speaks is known from the token alone (service.Replies.Resolve):
// the envelope sender and the From header are logged, never believed. A
// forged, unknown or expired token, or one of a disabled user, is
// refused at RCPT with a permanent 550. The message is read as plain
// text (text/html stripped of its tags when there is no text/plain
// part), the quoted history and signature are cut (StripQuoted), and the
// rest is posted through the one path of every comment,
// Requests.AddCommentVia, so the same visibility and validation rules
// apply; their refusals are permanent (550) with the reason in English,
// a failure of the database temporary (451). Automatic replies
// (Auto-Submitted, Precedence: bulk, an empty return path) are accepted
// and dropped, so out-of-office loops never become comments.
//
// It is off unless -inbound-smtp-addr is set. It imports service,
// domain and i18n; only cmd imports it.
package mailin
