package mongo

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// What the collections of plain documents (overrides, pages, deployments,
// maintenance windows, heartbeats, notifications, the inbox) each do the
// same way: insert once, remove by _id, find and convert.

// insertOnce inserts doc into coll and reports whether it did: a duplicate
// key means the document is already stored, and stores nothing. Any other
// error is wrapped in "what: ", what naming the operation ("store override
// o-1").
func insertOnce(ctx context.Context, coll *mongo.Collection, doc any, what string) (bool, error) {
	_, err := coll.InsertOne(ctx, doc)
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return true, nil
}

// removeByID deletes the document of coll with _id id and returns it
// converted by conv. No such document is notFound (the domain package's
// ErrNotFound) wrapped in "what id: "; any other error is wrapped in
// "remove what id: ".
func removeByID[D, T any](ctx context.Context, coll *mongo.Collection, id, what string, notFound error, conv func(D) T) (T, error) {
	var (
		doc  D
		zero T
	)
	err := coll.FindOneAndDelete(ctx, byID(id)).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return zero, fmt.Errorf("%s %s: %w", what, id, notFound)
	}
	if err != nil {
		return zero, fmt.Errorf("remove %s %s: %w", what, id, err)
	}
	return conv(doc), nil
}

// findAll reads the documents of coll that match filter, in the order opts
// sets, and returns them converted by conv: an empty slice, not nil, when
// none match. An error is wrapped in "what: ".
func findAll[D, T any](ctx context.Context, coll *mongo.Collection, filter any, opts *options.FindOptionsBuilder,
	what string, conv func(D) T) ([]T, error) {
	cur, err := coll.Find(ctx, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var docs []D
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	out := make([]T, len(docs))
	for i, d := range docs {
		out[i] = conv(d)
	}
	return out, nil
}
