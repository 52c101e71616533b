package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The link's addresses: the host end and the namespace end of a /30.
const (
	hostIP = "10.203.0.1"
	nsIP   = "10.203.0.2"
)

// link is the emulated link between the host and the namespace.
type link struct {
	ns       string // network namespace name
	hostDev  string
	nsDev    string
	kind     string // "netem" (veth + tc netem) or "tun" (TUN pair + shaper in this process)
	closers  []func()
	shapers  []*shaper
	closeOne sync.Once
}

// ipCmd runs ip or tc and returns its combined output in the error.
func ipCmd(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// setupLink creates the namespace and the link: a veth pair shaped with
// tc netem on both ends when the kernel has netem (mode "auto" or
// "netem"), else (mode "auto" or "tun") a pair of TUN devices joined by
// a shaper in this process with netem's semantics.
func setupLink(ctx context.Context, mode string, delay time.Duration, kbit int, logf func(string, ...any)) (*link, error) {
	pid := os.Getpid()
	l := &link{ns: fmt.Sprintf("cmcslow-%d", pid), hostDev: fmt.Sprintf("cmcs%dh", pid), nsDev: fmt.Sprintf("cmcs%dn", pid)}
	if len(l.hostDev) > 15 {
		l.hostDev, l.nsDev = fmt.Sprintf("cmcs%dh", pid%1e9), fmt.Sprintf("cmcs%dn", pid%1e9)
	}
	if err := ipCmd(ctx, "ip", "netns", "add", l.ns); err != nil {
		return nil, err
	}
	l.closers = append(l.closers, func() { _ = ipCmd(context.Background(), "ip", "netns", "del", l.ns) })
	fail := func(err error) (*link, error) { l.close(); return nil, err }
	if err := ipCmd(ctx, "ip", "-n", l.ns, "link", "set", "lo", "up"); err != nil {
		return fail(err)
	}
	var netemErr error
	if mode != "tun" {
		if netemErr = l.veth(ctx, delay, kbit); netemErr == nil {
			l.kind = "netem"
			return l, nil
		}
		if mode == "netem" {
			return fail(netemErr)
		}
		logf("tc netem is not available (%v); falling back to a TUN pair shaped in this process (same delay and rate, per packet)", netemErr)
	}
	if err := l.tun(ctx, delay, kbit); err != nil {
		return fail(err)
	}
	l.kind = "tun"
	return l, nil
}

// veth is the link the brief asks for: veth pair, netem on both ends.
func (l *link) veth(ctx context.Context, delay time.Duration, kbit int) error {
	if err := ipCmd(ctx, "ip", "link", "add", l.hostDev, "type", "veth", "peer", "name", l.nsDev, "netns", l.ns); err != nil {
		return err
	}
	del := func() { _ = ipCmd(context.Background(), "ip", "link", "del", l.hostDev) }
	netem := []string{"qdisc", "add", "dev", "", "root", "netem", "delay", fmt.Sprintf("%dms", delay.Milliseconds()), "rate", fmt.Sprintf("%dkbit", kbit)}
	steps := [][]string{
		{"ip", "addr", "add", hostIP + "/30", "dev", l.hostDev},
		{"ip", "link", "set", l.hostDev, "up"},
		{"ip", "-n", l.ns, "addr", "add", nsIP + "/30", "dev", l.nsDev},
		{"ip", "-n", l.ns, "link", "set", l.nsDev, "up"},
		append([]string{"tc"}, with(netem, 3, l.hostDev)...),
		append([]string{"ip", "netns", "exec", l.ns, "tc"}, with(netem, 3, l.nsDev)...),
	}
	for _, s := range steps {
		if err := ipCmd(ctx, s[0], s[1:]...); err != nil {
			del()
			return err
		}
	}
	l.closers = append(l.closers, del)
	return nil
}

func with(s []string, i int, v string) []string {
	out := append([]string(nil), s...)
	out[i] = v
	return out
}

// tun builds the fallback link: one TUN device on the host, one created
// inside the namespace, and a shaper per direction between their file
// descriptors. The devices vanish when this process closes them (or dies).
func (l *link) tun(ctx context.Context, delay time.Duration, kbit int) error {
	host, err := openTun(l.hostDev)
	if err != nil {
		return err
	}
	var nsEnd *os.File
	if err := inNetns(l.ns, func() error {
		var err error
		nsEnd, err = openTun(l.nsDev)
		return err
	}); err != nil {
		host.Close()
		return err
	}
	l.closers = append(l.closers, func() { host.Close(); nsEnd.Close() })
	for _, s := range [][]string{
		{"ip", "addr", "add", hostIP + "/30", "dev", l.hostDev},
		{"ip", "link", "set", l.hostDev, "up"},
		{"ip", "-n", l.ns, "addr", "add", nsIP + "/30", "dev", l.nsDev},
		{"ip", "-n", l.ns, "link", "set", l.nsDev, "up"},
	} {
		if err := ipCmd(ctx, s[0], s[1:]...); err != nil {
			return err
		}
	}
	bps := float64(kbit) * 1000
	up := &shaper{from: host, to: nsEnd, delay: delay, bps: bps, limit: 1000}
	down := &shaper{from: nsEnd, to: host, delay: delay, bps: bps, limit: 1000}
	l.shapers = []*shaper{up, down}
	go up.run()
	go down.run()
	return nil
}

func (l *link) close() {
	l.closeOne.Do(func() {
		for i := len(l.closers) - 1; i >= 0; i-- {
			l.closers[i]()
		}
	})
}

func (l *link) drops() int64 {
	var n int64
	for _, s := range l.shapers {
		n += s.dropped.Load()
	}
	return n
}

// ifreq is struct ifreq for TUNSETIFF.
type ifreq struct {
	name  [16]byte
	flags uint16
	_     [22]byte
}

const (
	tunSetIff = 0x400454ca
	iffTun    = 0x0001
	iffNoPI   = 0x1000
)

// openTun creates a TUN device (IP packets, no packet information) in the
// calling thread's network namespace.
func openTun(name string) (*os.File, error) {
	fd, err := syscall.Open("/dev/net/tun", syscall.O_RDWR|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/net/tun: %w", err)
	}
	var req ifreq
	copy(req.name[:], name)
	req.flags = iffTun | iffNoPI
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), tunSetIff, uintptr(unsafe.Pointer(&req))); errno != 0 {
		syscall.Close(fd)
		return nil, fmt.Errorf("TUNSETIFF %s: %w", name, errno)
	}
	return os.NewFile(uintptr(fd), name), nil // non-blocking: reads go through the poller
}

// inNetns runs f on a thread switched into the named network namespace;
// sockets and devices f creates belong to that namespace.
func inNetns(ns string, f func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			done <- err
			return
		}
		defer orig.Close()
		target, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			runtime.UnlockOSThread()
			done <- err
			return
		}
		defer target.Close()
		if err := setns(target); err != nil {
			runtime.UnlockOSThread()
			done <- err
			return
		}
		ferr := f()
		if err := setns(orig); err != nil {
			// The thread stays in the namespace: keep it locked so the
			// runtime discards it when this goroutine ends.
			done <- errors.Join(ferr, err)
			return
		}
		runtime.UnlockOSThread()
		done <- ferr
	}()
	return <-done
}

func setns(f *os.File) error {
	if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("setns: %w", err)
	}
	return nil
}

// shaper moves IP packets from one TUN device to the other as netem
// "delay D rate R" would: each packet waits for the link to be free,
// takes its size (plus a 14-byte Ethernet header, as on a veth) times 8
// over R to serialise, then D to arrive. At most limit packets queue
// (netem's default); more are dropped.
type shaper struct {
	from, to *os.File
	delay    time.Duration
	bps      float64
	limit    int
	dropped  atomic.Int64
}

type packet struct {
	b  []byte
	at time.Time
}

func (s *shaper) run() {
	q := make(chan packet, s.limit)
	go func() {
		for p := range q {
			if d := time.Until(p.at); d > 0 {
				time.Sleep(d)
			}
			_, _ = s.to.Write(p.b)
		}
	}()
	defer close(q)
	buf := make([]byte, 65536)
	var free time.Time // when the link has sent everything queued
	for {
		n, err := s.from.Read(buf)
		if err != nil {
			return
		}
		now := time.Now()
		if free.Before(now) {
			free = now
		}
		free = free.Add(time.Duration(float64((n+14)*8) / s.bps * float64(time.Second)))
		p := packet{b: append([]byte(nil), buf[:n]...), at: free.Add(s.delay)}
		select {
		case q <- p:
		default:
			s.dropped.Add(1)
		}
	}
}

// relay listens on 127.0.0.1 inside the namespace and forwards each
// connection to target (host:port) from the host: how the server in the
// namespace reaches a PostgreSQL that has no unix socket, unshaped, as a
// database next to the server would be.
func relay(ns, target string) (addr string, stop func(), err error) {
	var ln net.Listener
	if err := inNetns(ns, func() error {
		var err error
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		return err
	}); err != nil {
		return "", nil, err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				d, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer d.Close()
				go func() { _, _ = io.Copy(d, c); d.(*net.TCPConn).CloseWrite() }()
				_, _ = io.Copy(c, d)
			}()
		}
	}()
	return ln.Addr().String(), func() { ln.Close() }, nil
}
