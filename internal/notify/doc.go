// Package notify tells users what happened to the requests they care
// about: in-app notifications, and e-mail through an outbox.
//
// The services call Notifier.Notify inside their own transaction, with
// that transaction's store, so a notification and its e-mail exist
// exactly when the change they tell of does. Notify only writes rows;
// nothing here talks SMTP during a web request. A Worker, started once
// per serving instance, drains the outbox: it claims due messages with
// row locks (FOR UPDATE SKIP LOCKED, so several instances share the work
// without sending a message twice), sends them with a Mailer, and marks
// each sent or schedules a retry with exponential backoff. Undelivered
// messages stay in the table, so the worker catches up after downtime.
//
// Delivery is at least once: a message whose sending succeeded but whose
// "sent" mark was lost with the database connection is sent again.
//
// It imports domain, store and i18n; it must not import service, web or
// api.
package notify
