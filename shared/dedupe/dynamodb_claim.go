package dedupe

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// claimRounds bounds the writes of one Claim. A round ends in an answer
// unless another claimant changed the record between this claim's read
// and its write; after that many, one of them is making the delivery.
const claimRounds = 4

// Claim implements Store.
//
// The first write assumes the usual case, a record that does not exist
// (or has expired): one PutItem of a fresh in-progress record, or, with
// a Replay key, one TransactWriteItems that also writes the signature's
// record unless another invocation's live one holds it. A fresh record
// starts with no batches, as Memory's does after expiry.
//
// When its condition fails, DynamoDB returns the record it found
// (ReturnValuesOnConditionCheckFailure), which tells Busy and Duplicate
// apart without another call. Only a record that may be taken over (an
// abandoned or released claim; a queued delivery for the queue's
// consumer) costs a second write: an UpdateItem, so that its batches
// survive, on the condition that the record is still the one read.
func (d *DynamoDB) Claim(ctx context.Context, r ClaimRequest) (Claim, error) {
	c := &claimer{d: d, r: r, now: d.now(), token: claimToken()}
	var over *item // the record the next write takes over; nil: a fresh one
	for range claimRounds {
		werr := c.write(ctx, over)
		if werr == nil {
			return c.claimed(over), nil
		}
		v, err := c.inspect(ctx, werr, over)
		if err != nil {
			return Claim{}, fmt.Errorf("dedupe: claiming invocation %s in DynamoDB table %s: %w", r.ID, d.Table, err)
		}
		if v.answer != nil {
			return *v.answer, nil
		}
		over = v.over
	}
	return Claim{Outcome: Busy}, nil
}

// claimer is one Claim: its request, its clock reading and its token.
type claimer struct {
	d     *DynamoDB
	r     ClaimRequest
	now   time.Time
	token string
}

func (c *claimer) claimed(over *item) Claim {
	cl := Claim{Outcome: Claimed, Token: c.token}
	if over != nil {
		cl.Batches = over.batches
	}
	return cl
}

// write makes one claiming write: fresh when over is nil, else a takeover
// of over.
func (c *claimer) write(ctx context.Context, over *item) error {
	inv := c.freshWrite()
	if over != nil {
		inv = c.takeoverWrite(over)
	}
	if c.r.Replay != "" {
		_, err := c.d.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
			TransactItems: []types.TransactWriteItem{inv, c.signatureWrite()},
		})
		return err
	}
	if p := inv.Put; p != nil {
		_, err := c.d.Client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: p.TableName, Item: p.Item, ConditionExpression: p.ConditionExpression,
			ExpressionAttributeNames: p.ExpressionAttributeNames, ExpressionAttributeValues: p.ExpressionAttributeValues,
			ReturnValuesOnConditionCheckFailure: p.ReturnValuesOnConditionCheckFailure,
		})
		return err
	}
	u := inv.Update
	_, err := c.d.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression, ConditionExpression: u.ConditionExpression,
		ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues,
		ReturnValuesOnConditionCheckFailure: u.ReturnValuesOnConditionCheckFailure,
	})
	return err
}

// freshWrite puts a new in-progress record where none lives.
func (c *claimer) freshWrite() types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{
		TableName: &c.d.Table,
		Item: map[string]types.AttributeValue{
			attrID:       strAV(invKey(c.r.ID)),
			attrState:    strAV(stateInProgress),
			attrToken:    strAV(c.token),
			attrDeadline: numAV(epochMillisUp(c.r.Deadline)),
			attrBatches:  numAV(0),
			attrExpires:  numAV(c.expires()),
		},
		ConditionExpression:                 aws.String("attribute_not_exists(#id) OR #exp <= :now"),
		ExpressionAttributeNames:            namesFor("#id", "#exp"),
		ExpressionAttributeValues:           map[string]types.AttributeValue{":now": numAV(c.now.Unix())},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}
}

// takeoverWrite makes over this claim's, keeping its batches, on the
// condition that nobody changed it since it was read: the same token and
// state (no other claim, completion or queueing) and the same batches (no
// late Progress of the claim it replaces, whose count this claim returns).
func (c *claimer) takeoverWrite(over *item) types.TransactWriteItem {
	cond := "#tok = :seen_tok AND #st = :seen_st AND #exp > :now AND "
	values := map[string]types.AttributeValue{
		":seen_tok": strAV(over.token), ":seen_st": strAV(over.state), ":now": numAV(c.now.Unix()),
		":st": strAV(stateInProgress), ":tok": strAV(c.token),
		":dl": numAV(epochMillisUp(c.r.Deadline)), ":exp": numAV(c.expires()),
	}
	if over.hasBatches {
		cond += "#b = :seen_b"
		values[":seen_b"] = numAV(int64(over.batches))
	} else {
		cond += "attribute_not_exists(#b)"
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                           &c.d.Table,
		Key:                                 itemKey(invKey(c.r.ID)),
		UpdateExpression:                    aws.String("SET #st = :st, #tok = :tok, #dl = :dl, #exp = :exp"),
		ConditionExpression:                 aws.String(cond),
		ExpressionAttributeNames:            namesFor("#tok", "#st", "#exp", "#b", "#dl"),
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}
}

// signatureWrite gives the Replay key to this invocation until
// ReplayUntil, unless another invocation's live record holds it.
func (c *claimer) signatureWrite() types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{
		TableName: &c.d.Table,
		Item: map[string]types.AttributeValue{
			attrID:      strAV(sigKey(c.r.Replay)),
			attrOwner:   strAV(c.r.ID),
			attrExpires: numAV(epochSecondsUp(c.r.ReplayUntil)),
		},
		ConditionExpression:                 aws.String("attribute_not_exists(#id) OR #exp <= :now OR #own = :owner"),
		ExpressionAttributeNames:            namesFor("#id", "#exp", "#own"),
		ExpressionAttributeValues:           map[string]types.AttributeValue{":now": numAV(c.now.Unix()), ":owner": strAV(c.r.ID)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}
}

// expires is an in-progress record's expiry: like Memory's, it outlives
// any retry of the claim, and a queued delivery's stay on the queue.
func (c *claimer) expires() int64 { return epochSecondsUp(c.now.Add(QueuedRetention)) }

// verdict is what a failed write found: the claim's answer, or the record
// to take over next (nil: write a fresh one).
type verdict struct {
	answer *Claim
	over   *item
}

// inspect reads a failed write. An error it returns is the store's.
func (c *claimer) inspect(ctx context.Context, werr error, over *item) (verdict, error) {
	var failed *types.ConditionalCheckFailedException
	if errors.As(werr, &failed) {
		return c.decideInvocation(ctx, failed.Item)
	}
	var cancelled *types.TransactionCanceledException
	if !errors.As(werr, &cancelled) || len(cancelled.CancellationReasons) != 2 {
		return verdict{}, werr
	}
	inv, sig := cancelled.CancellationReasons[0], cancelled.CancellationReasons[1]
	// The signature first, as Memory: a replay is a Duplicate whatever
	// its invocation's record holds.
	switch aws.ToString(sig.Code) {
	case "None":
	case "ConditionalCheckFailed":
		// The condition fails only on a live record of another owner.
		return answer(Duplicate), nil
	case "TransactionConflict":
		rec, err := c.d.read(ctx, sigKey(c.r.Replay))
		if err != nil {
			return verdict{}, err
		}
		if rec.liveAt(c.now) && rec.owner != c.r.ID {
			return answer(Duplicate), nil
		}
	default:
		return verdict{}, werr
	}
	switch aws.ToString(inv.Code) {
	case "None":
		if aws.ToString(sig.Code) == "None" {
			return verdict{}, werr // cancelled for a reason it does not give
		}
		return verdict{over: over}, nil // only the signature was contended: write again
	case "ConditionalCheckFailed", "TransactionConflict":
		return c.decideInvocation(ctx, inv.Item)
	}
	return verdict{}, werr
}

// decideInvocation decides from the invocation's record as a failed
// write returned it, or, when it did not (a transaction conflict), as a
// consistent read finds it.
func (c *claimer) decideInvocation(ctx context.Context, av map[string]types.AttributeValue) (verdict, error) {
	var rec *item
	var err error
	if len(av) == 0 {
		rec, err = c.d.read(ctx, invKey(c.r.ID))
	} else {
		rec, err = parseItem(av)
	}
	if err != nil {
		return verdict{}, err
	}
	switch {
	case !rec.liveAt(c.now):
		return verdict{}, nil
	case rec.token == c.token:
		// This claim's own write landed, and the SDK's retry of it, whose
		// answer this is, found it.
		return verdict{answer: &Claim{Outcome: Claimed, Batches: rec.batches, Token: c.token}}, nil
	case rec.state == stateDone, rec.state == stateQueued && !c.r.FromQueue:
		return answer(Duplicate), nil
	case rec.state == stateInProgress && c.now.UnixMilli() < rec.deadline:
		return answer(Busy), nil
	case rec.state == stateInProgress, rec.state == stateQueued:
		return verdict{over: rec}, nil
	}
	return verdict{}, fmt.Errorf("the record is in an unknown state %q", rec.state)
}

func answer(o Outcome) verdict { return verdict{answer: &Claim{Outcome: o}} }

// read is a record as a consistent read finds it; nil for none.
func (d *DynamoDB) read(ctx context.Context, id string) (*item, error) {
	out, err := d.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &d.Table, Key: itemKey(id), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	return parseItem(out.Item)
}

func invKey(id string) string     { return "inv#" + id }
func sigKey(replay string) string { return "sig#" + replay }
