package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/filbert/filbert/rest"
)

// maxRESTBody bounds a REST response body read by RESTClient.
const maxRESTBody = 4 << 20

// RESTClient calls a member's REST API on its member port. The member must
// have <rest-api enabled="true"> and, for backups, the PERSISTENCE (or
// HOT_RESTART) endpoint group enabled.
type RESTClient struct {
	// Addr is the member's host:port.
	Addr string
	// Name and Password are the first two fields of POST bodies: the
	// cluster name, or with security enabled a user name, and its
	// password.
	Name, Password string
	// HTTP is the client to use; nil means one without proxy and with a
	// 30-second timeout.
	HTTP *http.Client
}

// defaultHTTP talks to members directly, whatever HTTP_PROXY says.
var defaultHTTP = &http.Client{
	Timeout:   30 * time.Second,
	Transport: &http.Transport{Proxy: nil, DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext},
}

func (c *RESTClient) client() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

// RESTError is a REST call the member answered with a status other than
// 200.
type RESTError struct {
	// Status is the HTTP status code.
	Status int
	// Message is the member's explanation: the JSON message or status, or
	// the text body.
	Message string
}

// Error implements error.
func (e *RESTError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "(no explanation)"
	}
	return fmt.Sprintf("member answered %d %s: %s", e.Status, http.StatusText(e.Status), msg)
}

// restHint is added to transport errors: a member without REST closes the
// connection on HTTP.
const restHint = `is <rest-api enabled="true"> with the PERSISTENCE endpoint group set in the member's hazelcast.xml?`

// do sends one request and decodes a 200 JSON answer into out.
func (c *RESTClient) do(ctx context.Context, method, path, body string, out any) error {
	u := "http://" + c.Addr + path
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, u, err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.client().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s %s: %w", method, u, ctx.Err())
		}
		return fmt.Errorf("%s %s: %w (%s)", method, u, err, restHint)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxRESTBody))
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %w", method, u, &RESTError{Status: resp.StatusCode, Message: explain(data)})
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decoding %q: %w", method, u, truncate(data), err)
	}
	return nil
}

// explain extracts the message of an error body: Hazelcast's JSON
// {"status","message"} or plain text.
func explain(body []byte) string {
	var js struct{ Status, Message string }
	if json.Unmarshal(body, &js) == nil && (js.Status != "" || js.Message != "") {
		if js.Message != "" {
			return js.Message
		}
		return js.Status
	}
	return truncate(body)
}

func truncate(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// credentials is the url-encoded "name&password" prefix of POST bodies.
func (c *RESTClient) credentials() string {
	return url.QueryEscape(c.Name) + "&" + url.QueryEscape(c.Password)
}

// BackupStatus returns every member's hot backup status
// (GET /hazelcast/rest/management/cluster/backupStatus).
func (c *RESTClient) BackupStatus(ctx context.Context) ([]rest.BackupStatus, error) {
	var out rest.BackupStatusResponse
	if err := c.do(ctx, http.MethodGet, rest.PathBackupStatus, "", &out); err != nil {
		return nil, fmt.Errorf("admin: reading backup status: %w", err)
	}
	if out.Status != "success" {
		return nil, fmt.Errorf("admin: reading backup status: member answered status %q", out.Status)
	}
	return out.Members, nil
}

// StartBackup starts a cluster-wide hot backup with sequence seq, or one
// the member picks when seq is negative, and returns the sequence
// (POST /hazelcast/rest/management/cluster/backup).
func (c *RESTClient) StartBackup(ctx context.Context, seq int64) (int64, error) {
	body := c.credentials()
	if seq >= 0 {
		body += "&" + strconv.FormatInt(seq, 10)
	}
	var out struct {
		Status   string `json:"status"`
		Sequence *int64 `json:"sequence"`
		Message  string `json:"message"`
	}
	if err := c.do(ctx, http.MethodPost, rest.PathBackup, body, &out); err != nil {
		return 0, fmt.Errorf("admin: starting hot backup: %w", err)
	}
	if out.Status != "success" {
		return 0, fmt.Errorf("admin: starting hot backup: member answered status %q %s", out.Status, out.Message)
	}
	if out.Sequence == nil {
		return 0, errors.New("admin: starting hot backup: the member did not say which sequence it used")
	}
	return *out.Sequence, nil
}

// BackupStatus reads every member's hot backup status from the member at
// addr over REST; see RESTClient.BackupStatus.
func BackupStatus(ctx context.Context, addr string) ([]rest.BackupStatus, error) {
	return (&RESTClient{Addr: addr}).BackupStatus(ctx)
}

// BackupDone reports whether no member is still working on a backup: each
// is NO_TASK, SUCCESS or FAILURE.
func BackupDone(statuses []rest.BackupStatus) bool {
	for _, s := range statuses {
		switch s.State {
		case rest.BackupNoTask, rest.BackupSuccess, rest.BackupFailure:
		default:
			return false
		}
	}
	return true
}

// BackupFailed reports whether a member's backup failed.
func BackupFailed(statuses []rest.BackupStatus) bool {
	for _, s := range statuses {
		if s.State == rest.BackupFailure {
			return true
		}
	}
	return false
}
