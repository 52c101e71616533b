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
// Each recipient's delivery of each kind (domain.EffectiveDelivery: their
// choice, or their roles' default) decides what goes with the in-app
// notification: an e-mail now, nothing, or an item for the daily digest,
// which the review job's last step queues (SendDigests) as one e-mail per
// user with a one-click List-Unsubscribe (RFC 8058).
//
// Delivery is at least once: a message whose sending succeeded but whose
// "sent" mark was lost with the database connection is sent again.
//
// It imports domain, store and i18n; it must not import service, web or
// api.
package notify
