// Package oidcop starts a real OpenID Connect provider for tests: the
// zitadel/oidc module's OP (pkg/op) with its example server's in-memory
// storage and username-and-password login page, on 127.0.0.1 at a
// random port. It is a real provider — discovery, authorization code
// flow with PKCE, signed ID tokens, userinfo, end-session — not a mock:
// cmcoord's single sign-on is tested against it end to end.
package oidcop

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
)

// User is a person the provider knows.
type User struct {
	Subject       string // the stable ID (the ID token's sub)
	Username      string // typed on the provider's login page
	Password      string
	Email         string
	EmailVerified bool
	Name          string // "First Last"
}

// OP is a running provider with one registered web client.
type OP struct {
	Issuer       string
	ClientID     string
	ClientSecret string
}

// users is the example storage's UserStore over a fixed list.
type users map[string]*storage.User

func (u users) GetUserByID(id string) *storage.User { return u[id] }

func (u users) GetUserByUsername(name string) *storage.User {
	for _, x := range u {
		if x.Username == name {
			return x
		}
	}
	return nil
}

func (u users) ExampleClientID() string { return storage.ServiceUserID }

// Start runs a provider until t ends, knowing people, with one web client
// (client_secret_basic, code flow) allowed to redirect to redirectURI.
func Start(t testing.TB, redirectURI string, people ...User) *OP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &OP{Issuer: "http://" + ln.Addr().String(), ClientID: "cmcoord-test", ClientSecret: "cmcoord-test-secret"}
	us := users{}
	for _, p := range people {
		first, last, _ := strings.Cut(p.Name, " ")
		us[p.Subject] = &storage.User{ID: p.Subject, Username: p.Username, Password: p.Password, FirstName: first,
			LastName: last, Email: p.Email, EmailVerified: p.EmailVerified}
	}
	clients := map[string]*storage.Client{o.ClientID: storage.WebClient(o.ClientID, o.ClientSecret, redirectURI)}
	// A nil logger: the example server would otherwise replace the
	// process's default logger.
	handler := exampleop.SetupServer(o.Issuer, storage.NewStorageWithClients(us, clients), nil, false)
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: handler}}
	srv.Start()
	t.Cleanup(srv.Close)
	return o
}

// SignIn plays the browser without one: it follows authURL (an
// authorization request of the client) to the provider's login page,
// signs in there as username with password, and returns the query the
// provider sends back to the redirect URI (code and state, or error).
func (o *OP) SignIn(t testing.TB, authURL, username, password string) url.Values {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	loc := o.follow(t, c, authURL, nil)
	login, err := url.Parse(loc)
	if err != nil || !strings.HasSuffix(login.Path, "/login/username") {
		t.Fatalf("oidcop: the authorization request led to %q, not the login page", loc)
	}
	loc = o.follow(t, c, o.Issuer+"/login/username", url.Values{"id": {login.Query().Get("authRequestID")},
		"username": {username}, "password": {password}})
	for range 5 { // the provider's own callback, then the client's redirect URI
		if !strings.HasPrefix(loc, o.Issuer) && strings.HasPrefix(loc, "http") {
			u, err := url.Parse(loc)
			if err != nil {
				t.Fatal(err)
			}
			return u.Query()
		}
		loc = o.follow(t, c, loc, nil)
	}
	t.Fatalf("oidcop: no redirect to the client after signing in (last %q)", loc)
	return nil
}

// follow requests u (a GET, or a POST of form) and returns the redirect's
// absolute target.
func (o *OP) follow(t testing.TB, c *http.Client, u string, form url.Values) string {
	t.Helper()
	if strings.HasPrefix(u, "/") {
		u = o.Issuer + u
	}
	var resp *http.Response
	var err error
	if form != nil {
		resp, err = c.PostForm(u, form)
	} else {
		resp, err = c.Get(u)
	}
	if err != nil {
		t.Fatalf("oidcop: %s: %v", u, err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode/100 != 3 || loc == "" {
		t.Fatalf("oidcop: %s answered %s without a redirect", u, resp.Status)
	}
	if strings.HasPrefix(loc, "/") {
		loc = o.Issuer + loc
	}
	return loc
}
