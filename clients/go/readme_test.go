package client_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeExample checks that the body of main in the example of
// README.md is the body of Example in example_test.go, which the tests
// compile.
func TestReadmeExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)```go\n(.*?)```").FindSubmatch(readme)
	if block == nil {
		t.Fatal("README.md has no go code block")
	}
	want, ok := funcBody(string(block[1]), "func main() {\n")
	if !ok {
		t.Fatal("the example of README.md has no func main")
	}
	got, ok := funcBody(string(src), "func Example() {\n")
	if !ok {
		t.Fatal("example_test.go has no func Example")
	}
	if got != want {
		t.Errorf("Example in example_test.go differs from main in README.md: copy one into the other")
	}
}

// funcBody returns the text between the opening line of a function and
// the closing brace at the start of a line that ends it.
func funcBody(src, opening string) (string, bool) {
	_, rest, ok := strings.Cut(src, opening)
	if !ok {
		return "", false
	}
	body, _, ok := strings.Cut(rest, "\n}\n")
	return body, ok
}
