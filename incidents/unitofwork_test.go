package incidents

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// Code that works inside a unit of work reads through it (tx), never
// s.store, which would read around the batch's own writes. unitStore makes
// the unit itself safe; this keeps the functions that hold a tx honest.
func TestUnitOfWorkCodeDoesNotReadAroundIt(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			var typ *ast.FuncType
			var body *ast.BlockStmt
			switch fn := n.(type) {
			case *ast.FuncDecl:
				typ, body = fn.Type, fn.Body
			case *ast.FuncLit:
				typ, body = fn.Type, fn.Body
			}
			if body == nil || !takesUnitOfWork(typ) {
				return true
			}
			ast.Inspect(body, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "store" {
					t.Errorf("%s: a function holding a unit of work uses .store; read through the unit", fset.Position(sel.Pos()))
				}
				return true
			})
			return false
		})
	}
}

func takesUnitOfWork(typ *ast.FuncType) bool {
	for _, p := range typ.Params.List {
		if star, ok := p.Type.(*ast.StarExpr); ok {
			if id, ok := star.X.(*ast.Ident); ok && id.Name == "unitOfWork" {
				return true
			}
		}
	}
	return false
}
