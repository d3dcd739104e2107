package cli

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoPackageState: the command packages keep no state between runs,
// and tests hook nothing through package variables. A package-level var is
// allowed only when its value is constant-like: a literal, a composite
// literal of literals (a fixed list of names) or a regexp compiled from a
// literal, that nothing assigns to.
func TestNoPackageState(t *testing.T) {
	fset := token.NewFileSet()
	var files []*ast.File
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("only %d files read: the walk is broken", len(files))
	}
	vars := map[string]token.Pos{} // package-level vars allowed so far
	for _, f := range files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if name.Name == "_" {
						continue // a compile-time interface check
					}
					if i >= len(vs.Values) || !constantLike(vs.Values[i]) {
						t.Errorf("%s: package-level var %s holds state; make it a field of what uses it", fset.Position(name.Pos()), name.Name)
						continue
					}
					vars[f.Name.Name+"."+name.Name] = name.Pos()
				}
			}
		}
	}
	// A constant-like var must never be assigned to, nor have an element
	// assigned.
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			as, ok := n.(*ast.AssignStmt)
			if !ok {
				return true
			}
			for _, lhs := range as.Lhs {
				for {
					if ix, ok := lhs.(*ast.IndexExpr); ok {
						lhs = ix.X
						continue
					}
					break
				}
				if id, ok := lhs.(*ast.Ident); ok {
					// Obj is nil for a name declared in another file.
					if pos, ok := vars[f.Name.Name+"."+id.Name]; ok && (id.Obj == nil || id.Obj.Pos() == pos) {
						t.Errorf("%s: package-level var %s is assigned to", fset.Position(id.Pos()), id.Name)
					}
				}
			}
			return true
		})
	}
}

// constantLike tells whether e is a literal, a composite literal of
// literals, or a regexp compiled from a literal (immutable, and safe to
// share).
func constantLike(e ast.Expr) bool {
	switch v := e.(type) {
	case *ast.BasicLit:
		return true
	case *ast.CallExpr:
		sel, ok := v.Fun.(*ast.SelectorExpr)
		if !ok || len(v.Args) != 1 {
			return false
		}
		pkg, ok := sel.X.(*ast.Ident)
		return ok && pkg.Name == "regexp" && sel.Sel.Name == "MustCompile" && constantLike(v.Args[0])
	case *ast.CompositeLit:
		for _, el := range v.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				if !constantLike(kv.Key) || !constantLike(kv.Value) {
					return false
				}
				continue
			}
			if !constantLike(el) {
				return false
			}
		}
		return true
	}
	return false
}
