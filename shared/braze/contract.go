package braze

import (
	"fmt"
	"strconv"
	"strings"
)

// ObjectsPerRequest reads BRAZE_OBJECTS_PER_REQUEST: how many objects one
// /users/track request may carry under the customer's Braze contract, 1 to
// MaxObjects; empty means MaxObjects.
func ObjectsPerRequest(raw string) (int, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return MaxObjects, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > MaxObjects {
		return 0, fmt.Errorf("BRAZE_OBJECTS_PER_REQUEST must be a number from 1 to %d: %d by default, %d for Braze's Monthly Active Users contracts",
			MaxObjects, MaxObjects, MAUObjects)
	}
	return n, nil
}
