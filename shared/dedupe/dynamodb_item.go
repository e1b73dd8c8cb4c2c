package dedupe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The table's attributes. Expressions always name them through
// ExpressionAttributeNames, since some (state, token, owner) are or may
// become DynamoDB reserved words.
const (
	attrID       = "id"
	attrState    = "state"
	attrToken    = "token"
	attrDeadline = "deadline"   // epoch milliseconds
	attrBatches  = "batches"    //
	attrExpires  = "expires_at" // epoch seconds, the table's TTL attribute
	attrOwner    = "owner"      // a sig# record's invocation id
	attrTicket   = "ticket"     // a ticket# record's ticket id
)

// The states of an inv# record, as stored.
const (
	stateInProgress = "in_progress"
	stateQueued     = "queued"
	stateDone       = "done"
)

// aliases maps every alias an expression may use to its attribute. Each
// request carries only the aliases its expressions use: DynamoDB refuses
// unused ones.
var aliases = map[string]string{
	"#id": attrID, "#st": attrState, "#tok": attrToken, "#dl": attrDeadline,
	"#b": attrBatches, "#exp": attrExpires, "#own": attrOwner,
}

func namesFor(used ...string) map[string]string {
	out := make(map[string]string, len(used))
	for _, a := range used {
		out[a] = aliases[a]
	}
	return out
}

// item is a record as read from the table.
type item struct {
	state      string
	token      string
	deadline   int64 // epoch ms
	batches    int
	hasBatches bool
	expires    int64 // epoch s
	owner      string
	ticket     int64
}

// liveAt mirrors Memory's live: a record counts until its expiry. A record
// without expires_at never expires, as DynamoDB's conditions see it.
func (it *item) liveAt(now time.Time) bool {
	return it != nil && now.Unix() < it.expires
}

// parseItem reads a record; nil for no record.
func parseItem(av map[string]types.AttributeValue) (*item, error) {
	if len(av) == 0 {
		return nil, nil
	}
	it := &item{expires: math.MaxInt64}
	var err error
	str := func(name string) string {
		if v, ok := av[name].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	num := func(name string, into *int64) bool {
		v, ok := av[name].(*types.AttributeValueMemberN)
		if !ok || err != nil {
			return false
		}
		n, perr := strconv.ParseInt(v.Value, 10, 64)
		if perr != nil {
			err = fmt.Errorf("the record's %s is not an integer", name)
			return false
		}
		*into = n
		return true
	}
	it.state, it.token, it.owner = str(attrState), str(attrToken), str(attrOwner)
	var batches int64
	it.hasBatches = num(attrBatches, &batches)
	it.batches = int(batches)
	num(attrDeadline, &it.deadline)
	num(attrExpires, &it.expires)
	num(attrTicket, &it.ticket)
	return it, err
}

func strAV(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func numAV(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func itemKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrID: strAV(id)}
}

// epochSecondsUp is t in epoch seconds, rounded up so that a record is
// never forgotten before its time.
func epochSecondsUp(t time.Time) int64 {
	sec := t.Unix()
	if t.Nanosecond() > 0 {
		sec++
	}
	return sec
}

// epochMillisUp is t in epoch milliseconds, rounded up so that a claim is
// never taken over before its deadline.
func epochMillisUp(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.Nanosecond()%int(time.Millisecond) > 0 {
		ms++
	}
	return ms
}

// claimToken is a random token that tells one claim from another.
func claimToken() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// live is the item of id's record, by one consistent read, while it has
// not expired (live false: none, or expired); what names it in errors.
func (d *DynamoDB) live(ctx context.Context, id, what string) (map[string]types.AttributeValue, bool, error) {
	out, err := d.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &d.Table, Key: itemKey(id), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, false, fmt.Errorf("dedupe: looking up %s in DynamoDB table %s: %w", what, d.Table, err)
	}
	rec, err := parseItem(out.Item)
	if err != nil {
		return nil, false, fmt.Errorf("dedupe: %s in DynamoDB table %s: %w", what, d.Table, err)
	}
	if !rec.liveAt(d.now()) {
		return nil, false, nil
	}
	return out.Item, true, nil
}
