package rest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/filbert/filbert/config"
)

// Paths served by Router.
const (
	PathClusterState       = "/hazelcast/rest/management/cluster/state"
	PathChangeClusterState = "/hazelcast/rest/management/cluster/changeState"
	PathCluster            = "/hazelcast/rest/cluster"
	PathInstance           = "/hazelcast/rest/instance"
	PathBackup             = "/hazelcast/rest/management/cluster/backup"
	PathBackupInterrupt    = "/hazelcast/rest/management/cluster/backupInterrupt"
	PathHotBackup          = "/hazelcast/rest/management/cluster/hotBackup"
	PathHotBackupInterrupt = "/hazelcast/rest/management/cluster/hotBackupInterrupt"
	PathBackupStatus       = "/hazelcast/rest/management/cluster/backupStatus"
	PathHealth             = "/hazelcast/health"
)

// DefaultTimeout bounds a request's backend calls when Router.Timeout is
// zero.
const DefaultTimeout = 2 * time.Minute

// Router answers REST requests for one member: it checks the endpoint
// group, the method and the credentials, then calls the Backend.
type Router struct {
	// Timeout bounds the backend calls of one request (DefaultTimeout when
	// zero).
	Timeout time.Duration

	cfg    config.RESTConfig
	b      Backend
	routes map[string]*route
}

// handlerFunc answers one request on a route.
type handlerFunc func(ctx context.Context, req *Request) Response

// route is one path: its endpoint group and a handler per method.
type route struct {
	group   string
	methods map[string]handlerFunc
}

// NewRouter returns a Router serving cfg's enabled endpoint groups from b.
func NewRouter(cfg config.RESTConfig, b Backend) *Router {
	r := &Router{cfg: cfg, b: b, routes: map[string]*route{}}
	add := func(path, group, method string, h handlerFunc) {
		rt := r.routes[path]
		if rt == nil {
			rt = &route{group: group, methods: map[string]handlerFunc{}}
			r.routes[path] = rt
		}
		if rt.group != group {
			panic("rest: " + path + " registered in two groups")
		}
		if _, dup := rt.methods[method]; dup {
			panic("rest: " + method + " " + path + " registered twice")
		}
		rt.methods[method] = h
	}
	read, write, persist, health := config.RESTClusterRead, config.RESTClusterWrite, config.RESTPersistence, config.RESTHealthCheck
	add(PathClusterState, read, http.MethodGet, r.getClusterState)
	add(PathClusterState, read, http.MethodPost, r.postClusterState)
	add(PathCluster, read, http.MethodGet, r.getCluster)
	add(PathInstance, read, http.MethodGet, r.getInstance)
	add(PathChangeClusterState, write, http.MethodPost, r.changeClusterState)
	add(PathBackup, persist, http.MethodPost, r.backupHandler(false))
	add(PathHotBackup, persist, http.MethodPost, r.backupHandler(true))
	add(PathBackupInterrupt, persist, http.MethodPost, r.interruptHandler(false))
	add(PathHotBackupInterrupt, persist, http.MethodPost, r.interruptHandler(true))
	add(PathBackupStatus, persist, http.MethodGet, r.getBackupStatus)
	add(PathBackupStatus, persist, http.MethodPost, r.postBackupStatus)
	add(PathHealth, health, http.MethodGet, r.getHealth)
	for _, p := range []string{"/ready", "/node-state", "/cluster-state", "/cluster-safe", "/migration-queue-size", "/cluster-size"} {
		add(PathHealth+p, health, http.MethodGet, r.getHealth)
	}
	return r
}

// Serve answers req on a new goroutine and passes the response to reply,
// so it may be called on an event loop: Handle may block on the backend.
// reply runs on that goroutine. A server that pipelines requests must keep
// responses in request order; Conn does that.
func (r *Router) Serve(ctx context.Context, req *Request, reply func(Response)) {
	go func() { reply(r.Handle(ctx, req)) }()
}

// Handle answers req. It may block on backend calls (up to Timeout), so it
// must not run on an event loop; see Serve. The response's Close,
// KeepAlive and OmitBody follow the request.
func (r *Router) Handle(ctx context.Context, req *Request) Response {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp := r.dispatch(ctx, req)
	resp.Close = resp.Close || req.Close
	resp.KeepAlive = !resp.Close && req.Proto == "HTTP/1.0"
	resp.OmitBody = req.Method == http.MethodHead
	return resp
}

// dispatch finds the handler of req and calls it.
func (r *Router) dispatch(ctx context.Context, req *Request) Response {
	path := req.Path
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	rt := r.routes[path]
	if rt == nil {
		if strings.HasPrefix(path, PathHealth+"/") {
			// Hazelcast answers unknown health parameters with 400.
			if resp, ok := r.checkGroup(config.RESTHealthCheck); !ok {
				return resp
			}
			return textResponse(http.StatusBadRequest, "unknown health check "+strconv.Quote(path))
		}
		return textResponse(http.StatusNotFound, "no REST endpoint at "+strconv.Quote(path))
	}
	if resp, ok := r.checkGroup(rt.group); !ok {
		return resp
	}
	method := req.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	h := rt.methods[method]
	if h == nil {
		allow := make([]string, 0, len(rt.methods)+1)
		for m := range rt.methods {
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
		sort.Strings(allow)
		resp := textResponse(http.StatusMethodNotAllowed,
			fmt.Sprintf("%s is not allowed on %s (allowed: %s)", req.Method, path, strings.Join(allow, ", ")))
		resp.Header = append(resp.Header, Header{Name: "Allow", Value: strings.Join(allow, ", ")})
		return resp
	}
	req2 := *req
	req2.Path = path
	return h(ctx, &req2)
}

// checkGroup answers 403 when group is not served.
func (r *Router) checkGroup(group string) (Response, bool) {
	if r.cfg.GroupEnabled(group) {
		return Response{}, true
	}
	if !r.cfg.Enabled {
		return textResponse(http.StatusForbidden,
			`REST API is not enabled. To enable it, set <network><rest-api enabled="true"> in hazelcast.xml`), false
	}
	return textResponse(http.StatusForbidden, fmt.Sprintf(
		`REST endpoint group is not enabled - %s. To enable it, add <endpoint-group name="%s" enabled="true"/> `+
			`to <network><rest-api enabled="true"> in hazelcast.xml`, group, group)), false
}

// postParams splits a POST body "f1&f2&...": at least want fields, at most
// maxFields (the last keeps any further '&'), each url-decoded as Java's
// URLDecoder does ('+' is a space). A trailing line end is ignored.
func postParams(req *Request, want, maxFields int) ([]string, *Response) {
	body := strings.TrimRight(string(req.Body), "\r\n")
	parts := strings.SplitN(body, "&", maxFields)
	if len(req.Body) == 0 || len(parts) < want {
		resp := failResponse(http.StatusBadRequest, fmt.Sprintf("This endpoint expects at least %d parameters", want))
		return nil, &resp
	}
	for i, p := range parts {
		d, err := url.QueryUnescape(p)
		if err != nil {
			resp := failResponse(http.StatusBadRequest, fmt.Sprintf("parameter %d: %v", i+1, err))
			return nil, &resp
		}
		parts[i] = d
	}
	return parts, nil
}

// authenticate decodes a POST body of want to maxFields fields whose first two
// are the cluster name (or user name) and password, and checks them.
func (r *Router) authenticate(req *Request, want, maxFields int) ([]string, *Response) {
	params, errResp := postParams(req, want, maxFields)
	if errResp != nil {
		return nil, errResp
	}
	if !r.b.Authenticate(params[0], params[1]) {
		resp := jsonResponse(http.StatusForbidden, statusJSON{Status: statusForbidden, Message: "unauthenticated"})
		return nil, &resp
	}
	return params, nil
}

// backendError answers a failed backend call.
func backendError(err error) Response {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrBadRequest):
		status = http.StatusBadRequest
	case errors.Is(err, ErrConflict):
		status = http.StatusConflict
	}
	return failResponse(status, err.Error())
}

// stateJSON is {"status":"success","state":"active"}.
type stateJSON struct {
	Status string `json:"status"`
	State  string `json:"state"`
}

func (r *Router) getClusterState(ctx context.Context, req *Request) Response {
	return jsonResponse(http.StatusOK, stateJSON{Status: statusSuccess, State: strings.ToLower(r.b.ClusterState())})
}

func (r *Router) postClusterState(ctx context.Context, req *Request) Response {
	if _, errResp := r.authenticate(req, 2, 2); errResp != nil {
		return *errResp
	}
	return r.getClusterState(ctx, req)
}

// ParseClusterState returns the canonical name of a cluster state a client
// may request (ACTIVE, NO_MIGRATION, FROZEN, PASSIVE), in any case.
func ParseClusterState(s string) (string, error) {
	switch st := strings.ToUpper(strings.TrimSpace(s)); st {
	case StateActive, StateNoMigration, StateFrozen, StatePassive:
		return st, nil
	case StateInTransition:
		return "", fmt.Errorf("cluster state %s cannot be requested (ACTIVE, NO_MIGRATION, FROZEN or PASSIVE)", st)
	default:
		return "", fmt.Errorf("unknown cluster state %q (ACTIVE, NO_MIGRATION, FROZEN or PASSIVE)", s)
	}
}

func (r *Router) changeClusterState(ctx context.Context, req *Request) Response {
	params, errResp := r.authenticate(req, 3, 3)
	if errResp != nil {
		return *errResp
	}
	state, err := ParseClusterState(params[2])
	if err != nil {
		return failResponse(http.StatusBadRequest, err.Error())
	}
	lower := strings.ToLower(state)
	if r.b.ClusterState() == state {
		// Hazelcast reports a change to the current state as a failure.
		return jsonResponse(http.StatusOK, stateJSON{Status: statusFail, State: lower})
	}
	if err := r.b.ChangeClusterState(ctx, state); err != nil {
		return backendError(fmt.Errorf("changing cluster state to %s: %w", state, err))
	}
	return jsonResponse(http.StatusOK, stateJSON{Status: statusSuccess, State: lower})
}

// memberJSON is one member of GET /hazelcast/rest/cluster.
type memberJSON struct {
	Address       string `json:"address"`
	LiteMember    bool   `json:"liteMember"`
	LocalMember   bool   `json:"localMember"`
	UUID          string `json:"uuid"`
	MemberVersion string `json:"memberVersion"`
}

// clusterJSON is the body of GET /hazelcast/rest/cluster.
type clusterJSON struct {
	Members            []memberJSON `json:"members"`
	ConnectionCount    int          `json:"connectionCount"`
	AllConnectionCount int          `json:"allConnectionCount"`
}

// javaAddress formats an address as Hazelcast's Address.toString does.
func javaAddress(host string, port int) string {
	return "[" + host + "]:" + strconv.Itoa(port)
}

func (r *Router) getCluster(ctx context.Context, req *Request) Response {
	ci := r.b.Cluster()
	out := clusterJSON{Members: make([]memberJSON, 0, len(ci.Members)),
		ConnectionCount: ci.ClientConnections, AllConnectionCount: ci.AllConnections}
	for _, m := range ci.Members {
		out.Members = append(out.Members, memberJSON{Address: javaAddress(m.Host, m.Port), LiteMember: m.Lite,
			LocalMember: m.Local, UUID: m.UUID, MemberVersion: m.Version})
	}
	return jsonResponse(http.StatusOK, out)
}

func (r *Router) getInstance(ctx context.Context, req *Request) Response {
	return jsonResponse(http.StatusOK, struct {
		Name string `json:"name"`
	}{r.b.InstanceName()})
}

// backupJSON is the body of a successful backup request.
type backupJSON struct {
	Status   string `json:"status"`
	Sequence int64  `json:"sequence"`
}

// deprecationHeaders are the headers Hazelcast 5 adds to the 4.x paths.
func deprecationHeaders(replacement string) []Header {
	return []Header{
		{Name: "Deprecation", Value: "true"},
		{Name: "Warning", Value: `299 - "Deprecated API". Please use ` + replacement +
			` instead. This API will be removed in future releases.`},
	}
}

// backupSequence reads the optional caller-chosen sequence: a third body
// field or the seq query parameter (both may be given if they agree). It
// returns -1 when neither is.
func backupSequence(req *Request, params []string) (int64, *Response) {
	type source struct{ where, val string }
	var vals []source
	if len(params) > 2 {
		vals = append(vals, source{"in the body", strings.TrimSpace(params[2])})
	}
	for _, q := range req.Query["seq"] {
		vals = append(vals, source{"in ?seq=", q})
	}
	seq, from := int64(-1), ""
	for _, v := range vals {
		n, err := strconv.ParseInt(v.val, 10, 64)
		if err != nil || n < 0 {
			resp := failResponse(http.StatusBadRequest, fmt.Sprintf("backup sequence %q must be a non-negative integer", v.val))
			return 0, &resp
		}
		if seq >= 0 && n != seq {
			resp := failResponse(http.StatusBadRequest,
				fmt.Sprintf("conflicting backup sequences: %d %s, %d %s", seq, from, n, v.where))
			return 0, &resp
		}
		seq, from = n, v.where
	}
	return seq, nil
}

func (r *Router) backupHandler(deprecated bool) handlerFunc {
	return func(ctx context.Context, req *Request) Response {
		params, errResp := r.authenticate(req, 2, 3)
		if errResp != nil {
			return *errResp
		}
		seq, errResp := backupSequence(req, params)
		if errResp != nil {
			return *errResp
		}
		got, err := r.b.HotBackup(ctx, seq)
		if err != nil {
			return backendError(fmt.Errorf("starting hot backup: %w", err))
		}
		resp := jsonResponse(http.StatusOK, backupJSON{Status: statusSuccess, Sequence: got})
		if deprecated {
			resp.Header = deprecationHeaders(PathBackup)
		}
		return resp
	}
}

func (r *Router) interruptHandler(deprecated bool) handlerFunc {
	return func(ctx context.Context, req *Request) Response {
		if _, errResp := r.authenticate(req, 2, 2); errResp != nil {
			return *errResp
		}
		if err := r.b.InterruptBackup(ctx); err != nil {
			return backendError(fmt.Errorf("interrupting hot backup: %w", err))
		}
		resp := jsonResponse(http.StatusOK, statusJSON{Status: statusSuccess})
		if deprecated {
			resp.Header = deprecationHeaders(PathBackupInterrupt)
		}
		return resp
	}
}

// BackupStatusResponse is the body of GET
// /hazelcast/rest/management/cluster/backupStatus.
type BackupStatusResponse struct {
	// Status is "success".
	Status string `json:"status"`
	// Members holds one entry per member.
	Members []BackupStatus `json:"members"`
}

func (r *Router) getBackupStatus(ctx context.Context, req *Request) Response {
	st, err := r.b.BackupStatus(ctx)
	if err != nil {
		return backendError(fmt.Errorf("reading backup status: %w", err))
	}
	if st == nil {
		st = []BackupStatus{}
	}
	return jsonResponse(http.StatusOK, BackupStatusResponse{Status: statusSuccess, Members: st})
}

func (r *Router) postBackupStatus(ctx context.Context, req *Request) Response {
	if _, errResp := r.authenticate(req, 2, 2); errResp != nil {
		return *errResp
	}
	return r.getBackupStatus(ctx, req)
}

// healthJSON is the body of GET /hazelcast/health.
type healthJSON struct {
	NodeState          string `json:"nodeState"`
	ClusterState       string `json:"clusterState"`
	ClusterSafe        bool   `json:"clusterSafe"`
	MigrationQueueSize int64  `json:"migrationQueueSize"`
	ClusterSize        int    `json:"clusterSize"`
}

// emptyResponse is a status with no body.
func emptyResponse(status int) Response { return Response{Status: status} }

func (r *Router) getHealth(ctx context.Context, req *Request) Response {
	h := r.b.Health()
	switch strings.TrimPrefix(req.Path, PathHealth) {
	case "":
		return jsonResponse(http.StatusOK, healthJSON{NodeState: h.NodeState, ClusterState: r.b.ClusterState(),
			ClusterSafe: h.ClusterSafe, MigrationQueueSize: h.MigrationQueueSize, ClusterSize: len(r.b.Cluster().Members)})
	case "/ready":
		if h.Ready {
			return emptyResponse(http.StatusOK)
		}
		return emptyResponse(http.StatusServiceUnavailable)
	case "/node-state":
		if h.NodeState == NodeShutDown {
			return emptyResponse(http.StatusServiceUnavailable)
		}
		return jsonResponse(http.StatusOK, h.NodeState)
	case "/cluster-state":
		return jsonResponse(http.StatusOK, r.b.ClusterState())
	case "/cluster-safe":
		if h.ClusterSafe {
			return emptyResponse(http.StatusOK)
		}
		return emptyResponse(http.StatusServiceUnavailable)
	case "/migration-queue-size":
		return jsonResponse(http.StatusOK, h.MigrationQueueSize)
	case "/cluster-size":
		return jsonResponse(http.StatusOK, len(r.b.Cluster().Members))
	}
	return textResponse(http.StatusNotFound, "no REST endpoint at "+strconv.Quote(req.Path))
}

// MemberAddress formats host and port as host:port for BackupStatus.Member.
func MemberAddress(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}
