package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/incidentbot/incidentbot/internal/store/storetest"
)

func TestZZProbe2(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	for _, idx := range []bool{false, true} {
		c := s.DB().Collection(fmt.Sprintf("p%v", idx))
		if idx {
			c.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "run_at", Value: 1}}})
		}
		var docs []any
		now := time.Now()
		for i := range 1000 {
			docs = append(docs, bson.D{{Key: "_id", Value: fmt.Sprintf("k-%d", i)}, {Key: "run_at", Value: now}, {Key: "owner", Value: ""}, {Key: "n", Value: 0}})
		}
		c.InsertMany(ctx, docs)
		m := func(name string, f func(i int)) {
			s := time.Now()
			for i := range 20 {
				f(i)
			}
			t.Logf("idx=%v %-40s %v", idx, name, time.Since(s)/20)
		}
		m("findOne _id", func(i int) { c.FindOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("k-%d", i)}}).Err() })
		m("findOne _id+owner", func(i int) {
			c.FindOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("k-%d", i)}, {Key: "owner", Value: ""}}).Err()
		})
		m("fam _id", func(i int) {
			c.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("k-%d", i)}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}).Err()
		})
		m("fam _id+owner", func(i int) {
			c.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("k-%d", i)}, {Key: "owner", Value: ""}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}).Err()
		})
		m("fam _id miss", func(i int) {
			c.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: "nope"}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}).Err()
		})
		m("fod _id miss", func(i int) {
			c.FindOneAndDelete(ctx, bson.D{{Key: "_id", Value: "nope"}}).Err()
		})
		m("fam run_at sort", func(i int) {
			c.FindOneAndUpdate(ctx, bson.D{{Key: "run_at", Value: bson.D{{Key: "$lte", Value: now}}}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}},
				options.FindOneAndUpdate().SetSort(bson.D{{Key: "run_at", Value: 1}})).Err()
		})
		m("fam run_at nosort", func(i int) {
			c.FindOneAndUpdate(ctx, bson.D{{Key: "run_at", Value: bson.D{{Key: "$lte", Value: now}}}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}).Err()
		})
		m("insert dup", func(i int) { c.InsertOne(ctx, bson.D{{Key: "_id", Value: "k-1"}}) })
	}
}
