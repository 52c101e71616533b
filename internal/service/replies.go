package service

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/cmcoord/cmcoord/internal/domain"
	"github.com/cmcoord/cmcoord/internal/store"
)

// Replies turns replies to notification e-mails into comments (issue 19,
// comment by replying). The reply address's token, signed and stored
// hashed (domain.NewReplyToken), says who speaks and on which request;
// nothing in the message itself does. The comment is made by
// Requests.AddCommentVia, the one path of every comment, so the same
// visibility, permission, length and rate rules apply.
type Replies struct {
	store    *store.Store
	requests *Requests
	now      func() time.Time
	log      *slog.Logger

	mu  sync.Mutex
	key []byte // the instance secret domain.ReplyTokenSecret, read once
}

// NewReplies returns the service over st, commenting through requests.
func NewReplies(st *store.Store, requests *Requests, now func() time.Time, log *slog.Logger) *Replies {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Replies{store: st, requests: requests, now: now, log: log}
}

// ErrReplyUnknown is the answer for a reply address that is forged,
// unknown or expired, or whose user may no longer act (disabled, or
// without the second factor the rules require).
var ErrReplyUnknown = errors.New("reply address unknown or expired")

// ReplyTarget is a reply address found valid: who comments, on what.
type ReplyTarget struct {
	Actor     domain.Actor
	RequestID int64
	hash      []byte
}

// replyKey returns the key that signs reply tokens (the notifier makes
// the same secret, whichever comes first).
func (s *Replies) replyKey(ctx context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key == nil {
		candidate := make([]byte, 32)
		_, _ = rand.Read(candidate) // never fails (crypto/rand)
		key, err := s.store.InstanceSecret(ctx, domain.ReplyTokenSecret, candidate)
		if err != nil {
			return nil, err
		}
		s.key = key
	}
	return s.key, nil
}

// Resolve checks the reply token of a recipient address: its signature
// (a forged token goes no further), that it is stored and not expired,
// that its user is enabled (and has a second factor if the rules require
// one), and that this user may still comment on its request. It returns
// ErrReplyUnknown for a bad token or user, a *domain.Error when the user
// may not comment there (CodeNotFound when the request is out of their
// sight), and any other error for a failure of the database.
func (s *Replies) Resolve(ctx context.Context, token string) (ReplyTarget, error) {
	key, err := s.replyKey(ctx)
	if err != nil {
		return ReplyTarget{}, err
	}
	if !domain.CheckReplyToken(key, token) {
		return ReplyTarget{}, ErrReplyUnknown
	}
	hash := domain.ReplyTokenHash(token)
	t, err := s.store.GetReplyToken(ctx, hash)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return ReplyTarget{}, ErrReplyUnknown
	}
	if err != nil {
		return ReplyTarget{}, err
	}
	if t.Expired(s.now()) {
		return ReplyTarget{}, ErrReplyUnknown
	}
	u, ms, hasFactor, err := s.store.UserWithFactor(ctx, t.UserID, s.now())
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return ReplyTarget{}, ErrReplyUnknown
	}
	if err != nil {
		return ReplyTarget{}, err
	}
	if u.Disabled || (!hasFactor && domain.NeedsSecondFactor(u, ms)) {
		return ReplyTarget{}, ErrReplyUnknown
	}
	a := actorOf(u, ms)
	r, err := s.store.GetRequest(ctx, t.RequestID)
	if err != nil {
		return ReplyTarget{}, err
	}
	if err := domain.Can(a, domain.ActionComment, domain.OnRequest(r)); err != nil {
		return ReplyTarget{}, err
	}
	return ReplyTarget{Actor: a, RequestID: t.RequestID, hash: hash}, nil
}

// Comment posts body as the comment of the reply token's user on its
// request, checking everything again (Resolve, then AddCommentVia's
// rules), and counts the token's use.
func (s *Replies) Comment(ctx context.Context, token, body string) (domain.Comment, error) {
	target, err := s.Resolve(ctx, token)
	if err != nil {
		return domain.Comment{}, err
	}
	c, err := s.requests.AddCommentVia(ctx, target.Actor, target.RequestID, body, CommentViaEmail)
	if err != nil {
		return domain.Comment{}, err
	}
	if err := s.store.MarkReplyTokenUsed(ctx, target.hash, s.now()); err != nil {
		// The comment is saved; a lost count is only logged.
		s.log.WarnContext(ctx, "reply token use not counted", "err", err)
	}
	return c, nil
}
