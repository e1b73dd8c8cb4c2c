package secrets_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/brazezendesk/bridge/shared/secrets"
)

// offlineAWS makes the SDK configuration load from the environment alone,
// with no shared files, no profile and no instance metadata.
func offlineAWS(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "dummy-secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_DEFAULT_PROFILE", "")
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestFromEnvFile(t *testing.T) {
	for _, tt := range []struct {
		name     string
		secretID string
		pad      string
	}{
		{"only SECRETS_FILE", "", ""},
		{"blank SECRET_ID counts as unset", "  \t", ""},
		{"SECRETS_FILE trimmed", "", "  "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "secrets.json")
			writeFile(t, path, `{"zendesk_email":" agent@example.com ","zendesk_api_token":"tok"}`)
			t.Setenv("SECRET_ID", tt.secretID)
			t.Setenv("SECRETS_FILE", tt.pad+path+tt.pad)

			src, err := secrets.FromEnv(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			f, ok := src.(secrets.File)
			if !ok {
				t.Fatalf("FromEnv = %T, want secrets.File", src)
			}
			if f.Path != path || src.Name() != path {
				t.Errorf("File.Path = %q, Name() = %q; want %q", f.Path, src.Name(), path)
			}
			raw, err := src.Load(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			v, err := secrets.Parse(src.Name(), raw)
			if err != nil {
				t.Fatal(err)
			}
			if v.Get("zendesk_email") != "agent@example.com" || v.Get("zendesk_api_token") != "tok" {
				t.Errorf("loaded values wrong: email %q token %q", v.Get("zendesk_email"), v.Get("zendesk_api_token"))
			}
		})
	}
}

func TestFromEnvErrors(t *testing.T) {
	for _, tt := range []struct {
		name     string
		secretID string
		file     string
		want     []string
		notWant  []string
	}{
		{"both", "bridge/prod-secret-name", "/tmp/local-secrets-path.json",
			[]string{"SECRET_ID", "SECRETS_FILE"}, []string{"bridge/prod-secret-name", "local-secrets-path"}},
		{"neither", "", "", []string{"SECRET_ID", "not set"}, nil},
		{"both blank", " ", "\t", []string{"SECRET_ID", "not set"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			offlineAWS(t)
			t.Setenv("SECRET_ID", tt.secretID)
			t.Setenv("SECRETS_FILE", tt.file)
			src, err := secrets.FromEnv(context.Background())
			if err == nil {
				t.Fatalf("FromEnv = %T %v, want an error", src, src)
			}
			if src != nil {
				t.Errorf("FromEnv returned a source %T with its error", src)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(err.Error(), w) {
					t.Errorf("error %q contains the value %q", err, w)
				}
			}
		})
	}
}

func TestFromEnvSecretID(t *testing.T) {
	for _, raw := range []string{"bridge/zendesk-to-braze", "  arn:aws:secretsmanager:us-east-1:123456789012:secret:bridge-AbCdEf \n"} {
		t.Run(strings.TrimSpace(raw), func(t *testing.T) {
			offlineAWS(t)
			t.Setenv("SECRET_ID", raw)
			t.Setenv("SECRETS_FILE", "")
			src, err := secrets.FromEnv(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			m, ok := src.(secrets.Manager)
			if !ok {
				t.Fatalf("FromEnv = %T, want secrets.Manager", src)
			}
			want := strings.TrimSpace(raw)
			if m.ID != want || src.Name() != want {
				t.Errorf("Manager.ID = %q, Name() = %q; want %q", m.ID, src.Name(), want)
			}
			c, ok := m.Client.(*secretsmanager.Client)
			if !ok || c == nil {
				t.Fatalf("Manager.Client = %T, want a *secretsmanager.Client", m.Client)
			}
			if r := c.Options().Region; r != "us-east-1" {
				t.Errorf("client region = %q, want us-east-1 from AWS_REGION", r)
			}
		})
	}
}

func TestFileLoadMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope", "secrets.json")
	b, err := secrets.File{Path: path}.Load(context.Background())
	if err == nil {
		t.Fatalf("Load of a missing file = %q, want an error", b)
	}
	if !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), path) {
		t.Errorf("error %q should say the file does not exist and name %s", err, path)
	}
}

func TestFileLoadUnreadable(t *testing.T) {
	dir := t.TempDir() // a directory cannot be read as a file
	_, err := secrets.File{Path: dir}.Load(context.Background())
	if err == nil {
		t.Fatal("Load of a directory: no error")
	}
	if strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q should name %s and not claim it does not exist", err, dir)
	}
}

func TestFileLoadReadsAfresh(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	f := secrets.File{Path: path}
	if f.Name() != path {
		t.Errorf("Name() = %q, want %q", f.Name(), path)
	}
	for _, content := range []string{`{"a":"1"}`, `{"a":"2"}`} {
		writeFile(t, path, content)
		b, err := f.Load(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != content {
			t.Errorf("Load = %q, want %q", b, content)
		}
	}
}

func TestCacheOverFileSeesEditsAfterRefresh(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	writeFile(t, path, `{"zendesk_api_token":"old-token"}`)
	c := secrets.NewCache(secrets.File{Path: path}, time.Hour)
	ctx := context.Background()

	v, err := c.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Get("zendesk_api_token"); got != "old-token" {
		t.Fatalf("first Get = %q, want old-token", got)
	}

	writeFile(t, path, `{"zendesk_api_token":"new-token"}`)
	if v, err = c.Get(ctx); err != nil {
		t.Fatal(err)
	} else if got := v.Get("zendesk_api_token"); got != "old-token" {
		t.Errorf("Get within the TTL = %q, want the cached old-token", got)
	}
	if v, err = c.Refresh(ctx); err != nil {
		t.Fatal(err)
	} else if got := v.Get("zendesk_api_token"); got != "new-token" {
		t.Errorf("Refresh = %q, want new-token", got)
	}
	if v, err = c.Get(ctx); err != nil {
		t.Fatal(err)
	} else if got := v.Get("zendesk_api_token"); got != "new-token" {
		t.Errorf("Get after Refresh = %q, want new-token", got)
	}

	// A broken edit is reported, naming the file, and does not lose the last good value.
	writeFile(t, path, `{"zendesk_api_token":`)
	if _, err := c.Refresh(ctx); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Refresh of a broken file: err = %v, want one naming %s", err, path)
	}
	if v, err = c.Get(ctx); err != nil {
		t.Fatal(err)
	} else if got := v.Get("zendesk_api_token"); got != "new-token" {
		t.Errorf("Get after a failed Refresh = %q, want the last good new-token", got)
	}
}
