// etcdraft.go -- the Go half of the etcd-raft protocol: etcd's Raft (go.etcd.io/etcd/raft
// 3.4, unmodified, from Debian's golang-etcd-server-dev) behind a few C functions.
//
// Each simulated node is one raft.RawNode over a raft.MemoryStorage.  The C half
// (etcd.c) calls in for every event -- start, tick, forced election, message, proposal
// -- and this file hands the step to etcd, then drains every Ready the way
// raftexample's loop does: hard state and entries to the WAL (C), messages out (C
// holds them behind the sync when MustSync), committed entries applied, Advance.  It
// calls back into C only through the function pointers of bridge.h.
//
// Determinism: etcd's only nondeterminism is the package-level globalRand behind
// randomizedElectionTimeout, seeded from the wall clock and not injectable through
// Config.  It is reached with //go:linkname and fed from fl_rand_u64 of the node whose
// callback runs (a workaround: it depends on the unexported name and layout).  One
// simulated run runs on one thread, so `cur` (the running node) is enough.
package main

/*
#include "bridge.h"
*/
import "C"

import (
	"fmt"
	"math/rand"
	"sync"
	"unsafe"

	"go.etcd.io/etcd/raft"
	pb "go.etcd.io/etcd/raft/raftpb"
)

type lockedRand struct { // the layout of raft.lockedRand (raft.go, etcd 3.4.23)
	mu   sync.Mutex
	rand *rand.Rand
}

// The variable is a *lockedRand; declared as unsafe.Pointer because the linker cannot
// describe a linknamed variable of a type of this package in DWARF.
//
//go:linkname etcdGlobalRand go.etcd.io/etcd/raft.globalRand
var etcdGlobalRand unsafe.Pointer

var (
	bridge *C.struct_etcd_bridge
	cur    unsafe.Pointer // the fl_node whose callback runs
	nodes  = map[int]*enode{}
	nextID = 1
)

type enode struct {
	rn   *raft.RawNode
	ms   *raft.MemoryStorage
	id   uint64
	lead uint64 // as raft.Node's loop tracks it, for its "elected leader" lines
	// the Ready whose fsync is in progress: nothing more is handled until it completes
	pending *raft.Ready
}

// flSource draws from the running node's own stream.
type flSource struct{}

func (flSource) Int63() int64 { return int64(C.etcd_bridge_rand(bridge, cur) >> 1) }
func (flSource) Seed(int64)   {}

// flLogger sends etcd's lines to fl_log of the running node.  Debug lines are dropped,
// as etcd's default logger (raftexample's) drops them.
type flLogger struct{}

func logLine(level int, s string) {
	if len(s) == 0 {
		return
	}
	b := []byte(s)
	C.etcd_bridge_log(bridge, cur, C.int(level), (*C.char)(unsafe.Pointer(&b[0])), C.int(len(b)))
}

func (flLogger) Debug(v ...interface{})                 {}
func (flLogger) Debugf(format string, v ...interface{}) {}
func (flLogger) Info(v ...interface{})                  { logLine(1, fmt.Sprint(v...)) }
func (flLogger) Infof(format string, v ...interface{})  { logLine(1, fmt.Sprintf(format, v...)) }
func (flLogger) Warning(v ...interface{})               { logLine(2, fmt.Sprint(v...)) }
func (flLogger) Warningf(f string, v ...interface{})    { logLine(2, fmt.Sprintf(f, v...)) }
func (flLogger) Error(v ...interface{})                 { logLine(2, fmt.Sprint(v...)) }
func (flLogger) Errorf(f string, v ...interface{})      { logLine(2, fmt.Sprintf(f, v...)) }
func (flLogger) Fatal(v ...interface{})                 { die(fmt.Sprint(v...)) }
func (flLogger) Fatalf(f string, v ...interface{})      { die(fmt.Sprintf(f, v...)) }
func (flLogger) Panic(v ...interface{})                 { die(fmt.Sprint(v...)) }
func (flLogger) Panicf(f string, v ...interface{})      { die(fmt.Sprintf(f, v...)) }

// die logs etcd's fatal line and panics; the exported function that is running
// recovers and returns -1, and the C half ends the run as a crash.
func die(s string) {
	logLine(2, "panic: "+s)
	panic(s)
}

func bytesPtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

//export EtcdGoInit
func EtcdGoInit(b *C.struct_etcd_bridge) C.int {
	if etcdGlobalRand == nil {
		return -1
	}
	bridge = b
	g := (*lockedRand)(etcdGlobalRand)
	g.mu.Lock()
	g.rand = rand.New(flSource{})
	g.mu.Unlock()
	raft.SetLogger(flLogger{})
	return 0
}

// guard runs f for node handle h as the running node, turning a panic into -1.
func guard(node unsafe.Pointer, f func()) (rc C.int) {
	cur = node
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(string); !ok {
				logLine(2, fmt.Sprintf("panic: %v", r))
			}
			rc = -1
		}
		cur = nil
	}()
	f()
	return 0
}

// EtcdGoStart makes node `id` of `n` from its replayed WAL: the hard state and the
// entries 1..k in ents (each u64 term, u8 type, u32 len, data, little-endian), and
// handles the first Ready.  Returns a handle > 0, or -1.
//
//export EtcdGoStart
func EtcdGoStart(node unsafe.Pointer, id, n C.uint64_t, electionTicks, heartbeatTicks C.int,
	maxSizePerMsg C.uint64_t, term, vote, commit C.uint64_t, ents unsafe.Pointer,
	entsLen C.int) C.int {
	h := C.int(-1)
	rc := guard(node, func() {
		ms := raft.NewMemoryStorage()
		entries := decodeEntries(C.GoBytes(ents, entsLen))
		if err := ms.Append(entries); err != nil {
			die(err.Error())
		}
		ms.SetHardState(pb.HardState{Term: uint64(term), Vote: uint64(vote), Commit: uint64(commit)})
		cfg := &raft.Config{
			ID:              uint64(id),
			ElectionTick:    int(electionTicks),
			HeartbeatTick:   int(heartbeatTicks),
			Storage:         ms,
			MaxSizePerMsg:   uint64(maxSizePerMsg),
			MaxInflightMsgs: 4096,
			Logger:          flLogger{},
		}
		rn, err := raft.NewRawNode(cfg)
		if err != nil {
			die(err.Error())
		}
		e := &enode{rn: rn, ms: ms, id: uint64(id)}
		nodes[nextID] = e
		h = C.int(nextID)
		nextID++
		e.drain()
	})
	if rc != 0 {
		return -1
	}
	return h
}

func decodeEntries(b []byte) []pb.Entry {
	var out []pb.Entry
	for off, index := 0, uint64(1); off+13 <= len(b); index++ {
		term := le64(b[off:])
		typ := b[off+8]
		l := int(le32(b[off+9:]))
		off += 13
		if off+l > len(b) {
			break
		}
		data := append([]byte(nil), b[off:off+l]...)
		off += l
		out = append(out, pb.Entry{Term: term, Index: index, Type: pb.EntryType(typ), Data: data})
	}
	return out
}

func le64(b []byte) uint64 { return uint64(le32(b)) | uint64(le32(b[4:]))<<32 }
func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

//export EtcdGoStop
func EtcdGoStop(h C.int) {
	delete(nodes, int(h))
}

func call(h C.int, node unsafe.Pointer, f func(e *enode)) C.int {
	e := nodes[int(h)]
	if e == nil {
		return -1
	}
	return guard(node, func() {
		f(e)
		e.drain()
	})
}

//export EtcdGoTick
func EtcdGoTick(h C.int, node unsafe.Pointer) C.int {
	return call(h, node, func(e *enode) { e.rn.Tick() })
}

// EtcdGoCampaign is a forced election timeout: MsgHup, as Campaign sends it.
//
//export EtcdGoCampaign
func EtcdGoCampaign(h C.int, node unsafe.Pointer) C.int {
	return call(h, node, func(e *enode) { _ = e.rn.Campaign() })
}

// EtcdGoBeat is a forced heartbeat timeout.  RawNode.Step refuses local messages
// (MsgBeat among them), so a leader ticks once: with HeartbeatTick 1 every tick of a
// leader broadcasts heartbeats.  Other nodes ignore it, as our Raft does.
//
//export EtcdGoBeat
func EtcdGoBeat(h C.int, node unsafe.Pointer) C.int {
	return call(h, node, func(e *enode) {
		if e.rn.BasicStatus().RaftState == raft.StateLeader {
			e.rn.Tick()
		}
	})
}

// EtcdGoStep delivers a message as marshalled by the sender.  Returns 1 when it does
// not unmarshal (the C half logs and drops it).
//
//export EtcdGoStep
func EtcdGoStep(h C.int, node unsafe.Pointer, msg unsafe.Pointer, l C.int) C.int {
	var m pb.Message
	if err := m.Unmarshal(C.GoBytes(msg, l)); err != nil {
		return 1
	}
	return call(h, node, func(e *enode) { _ = e.rn.Step(m) })
}

//export EtcdGoPropose
func EtcdGoPropose(h C.int, node unsafe.Pointer, data unsafe.Pointer, l C.int) C.int {
	d := C.GoBytes(data, l)
	return call(h, node, func(e *enode) { _ = e.rn.Propose(d) })
}

// drain handles every Ready in turn, as raftexample's serveChannels does: save the hard
// state and entries (the C half appends them to the WAL), fsync when MustSync, then
// send the messages, apply the committed entries and Advance.  The fsync is a simulated
// disk sync that completes later: until it does, the Ready waits in e.pending, and so
// does every later Ready -- raftexample handles one Ready after another, each after the
// previous one's fsync -- while etcd keeps stepping messages and ticks, as raft.Node
// does while it waits for Advance.  Then it reports the state: the C half mirrors what
// the observer and the snapshot need.
func (e *enode) drain() {
	for e.pending == nil && e.rn.HasReady() {
		rd := e.rn.Ready()
		e.leaderLines(rd)
		if !raft.IsEmptyHardState(rd.HardState) {
			hs := rd.HardState
			C.etcd_bridge_hard_state(bridge, cur, C.uint64_t(hs.Term), C.uint64_t(hs.Vote),
				C.uint64_t(hs.Commit))
		}
		for i := range rd.Entries {
			en := &rd.Entries[i]
			C.etcd_bridge_entry(bridge, cur, C.uint64_t(en.Index), C.uint64_t(en.Term),
				C.int(en.Type), bytesPtr(en.Data), C.int(len(en.Data)))
		}
		if err := e.ms.Append(rd.Entries); err != nil {
			die(err.Error())
		}
		if !raft.IsEmptyHardState(rd.HardState) {
			e.ms.SetHardState(rd.HardState)
		}
		must := 0
		if rd.MustSync {
			must = 1
		}
		if C.etcd_bridge_persisted(bridge, cur, C.int(must)) != 0 {
			e.pending = &rd // the C half calls EtcdGoSynced when the sync completes
			break
		}
		e.finish(&rd)
	}
	st := e.rn.BasicStatus()
	C.etcd_bridge_status(bridge, cur, C.int(st.RaftState), C.uint64_t(st.Term),
		C.uint64_t(st.Vote), C.uint64_t(st.Lead), C.uint64_t(st.Commit))
}

// finish is the rest of a Ready once what it saved is durable.
func (e *enode) finish(rd *raft.Ready) {
	for i := range rd.Messages {
		b, err := rd.Messages[i].Marshal()
		if err != nil {
			die(err.Error())
		}
		C.etcd_bridge_send(bridge, cur, C.uint64_t(rd.Messages[i].To), bytesPtr(b), C.int(len(b)))
	}
	for i := range rd.CommittedEntries {
		e.apply(&rd.CommittedEntries[i])
	}
	e.rn.Advance(*rd)
}

// EtcdGoSynced: the sync the pending Ready waits for has completed.
//
//export EtcdGoSynced
func EtcdGoSynced(h C.int, node unsafe.Pointer) C.int {
	return call(h, node, func(e *enode) {
		if rd := e.pending; rd != nil {
			e.pending = nil
			e.finish(rd)
		}
	})
}

// leaderLines are raft.Node's (node.go), which a RawNode does not log.
func (e *enode) leaderLines(rd raft.Ready) {
	if rd.SoftState == nil || rd.SoftState.Lead == e.lead {
		return
	}
	term := e.rn.BasicStatus().Term
	lead := rd.SoftState.Lead
	switch {
	case lead != raft.None && e.lead == raft.None:
		logLine(1, fmt.Sprintf("raft.node: %x elected leader %x at term %d", e.id, lead, term))
	case lead != raft.None:
		logLine(1, fmt.Sprintf("raft.node: %x changed leader from %x to %x at term %d", e.id,
			e.lead, lead, term))
	default:
		logLine(1, fmt.Sprintf("raft.node: %x lost leader %x at term %d", e.id, e.lead, term))
	}
	e.lead = lead
}

func (e *enode) apply(en *pb.Entry) {
	if en.Type == pb.EntryConfChange {
		var cc pb.ConfChange
		if err := cc.Unmarshal(en.Data); err == nil {
			e.rn.ApplyConfChange(cc)
		}
	}
	C.etcd_bridge_apply(bridge, cur, C.uint64_t(en.Index), C.uint64_t(en.Term), C.int(en.Type),
		bytesPtr(en.Data), C.int(len(en.Data)))
}

func main() {}
