package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/logger"
	"github.com/hazelcast/hazelcast-go-client/types"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// errMissing is counted when a read finds no value: every key is written
// before the first measured read, so a miss is a wrong answer.
var errMissing = errors.New("key missing")

// store is one system under test, shared by all worker goroutines.
type store interface {
	get(ctx context.Context, key string) error
	set(ctx context.Context, key string, value []byte) error
	close(ctx context.Context) error
}

// hzStore drives a member through the official Hazelcast Go client.
type hzStore struct {
	client *hazelcast.Client
	m      *hazelcast.Map
}

// writerLogger sends client-library messages at warning level and above to w.
type writerLogger struct{ w io.Writer }

func (l writerLogger) Log(weight logger.Weight, f func() string) {
	if l.w == nil || weight > logger.WeightWarn {
		return
	}
	fmt.Fprintf(l.w, "hazelcast client: %s\n", f())
}

func openFilbert(ctx context.Context, o Options) (*hzStore, error) {
	cfg := hazelcast.NewConfig()
	cfg.Cluster.Name = o.Cluster
	cfg.Cluster.Network.SetAddresses(o.Addr)
	cfg.Cluster.Unisocket = !o.Smart
	cfg.Cluster.ConnectionStrategy.Timeout = types.Duration(o.ConnectTimeout)
	cfg.Logger.CustomLogger = writerLogger{o.Log}
	cctx, cancel := context.WithTimeout(ctx, o.ConnectTimeout)
	defer cancel()
	c, err := hazelcast.StartNewClientWithConfig(cctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to member %s (cluster %q): %w", o.Addr, o.Cluster, err)
	}
	m, err := c.GetMap(cctx, o.Map)
	if err != nil {
		_ = c.Shutdown(context.Background())
		return nil, fmt.Errorf("get map %q: %w", o.Map, err)
	}
	return &hzStore{client: c, m: m}, nil
}

func (s *hzStore) get(ctx context.Context, key string) error {
	v, err := s.m.Get(ctx, key)
	if err != nil {
		return err
	}
	if v == nil {
		return errMissing
	}
	return nil
}

func (s *hzStore) set(ctx context.Context, key string, value []byte) error {
	return s.m.Set(ctx, key, value)
}

func (s *hzStore) close(ctx context.Context) error {
	if err := s.client.Shutdown(ctx); err != nil {
		return fmt.Errorf("shut down hazelcast client: %w", err)
	}
	return nil
}

// redisStore drives a Redis server through go-redis with one pooled
// connection per worker goroutine.
type redisStore struct {
	c *redis.Client
}

func openRedis(ctx context.Context, o Options) (*redisStore, error) {
	c := redis.NewClient(&redis.Options{
		Addr:            o.RedisAddr,
		PoolSize:        o.Concurrency,
		MinIdleConns:    o.Concurrency,
		DialTimeout:     o.ConnectTimeout,
		DisableIdentity: true,
		MaintNotificationsConfig: &maintnotifications.Config{
			Mode: maintnotifications.ModeDisabled,
		},
	})
	cctx, cancel := context.WithTimeout(ctx, o.ConnectTimeout)
	defer cancel()
	if err := c.Ping(cctx).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("connect to redis %s: %w", o.RedisAddr, err)
	}
	return &redisStore{c: c}, nil
}

func (s *redisStore) get(ctx context.Context, key string) error {
	err := s.c.Get(ctx, key).Err()
	if errors.Is(err, redis.Nil) {
		return errMissing
	}
	return err
}

func (s *redisStore) set(ctx context.Context, key string, value []byte) error {
	return s.c.Set(ctx, key, value, 0).Err()
}

func (s *redisStore) close(context.Context) error {
	if err := s.c.Close(); err != nil {
		return fmt.Errorf("close redis client: %w", err)
	}
	return nil
}

// verify reads key back and checks it holds want: a cheap end-to-end check
// that values round-trip before any measurement.
func verify(ctx context.Context, s store, key string, want []byte) error {
	var got []byte
	switch s := s.(type) {
	case *hzStore:
		v, err := s.m.Get(ctx, key)
		if err != nil {
			return fmt.Errorf("read back %q: %w", key, err)
		}
		b, ok := v.([]byte)
		if !ok {
			return fmt.Errorf("read back %q: got %T, want []byte", key, v)
		}
		got = b
	case *redisStore:
		b, err := s.c.Get(ctx, key).Bytes()
		if err != nil {
			return fmt.Errorf("read back %q: %w", key, err)
		}
		got = b
	default:
		return nil
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("read back %q: got %d bytes that differ from the %d written", key, len(got), len(want))
	}
	return nil
}

// shutdownTimeout bounds closing a client at the end of a run.
const shutdownTimeout = 10 * time.Second
