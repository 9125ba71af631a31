package data_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"hepflow/data"
)

// Reading background events from a HIGGS-layout file, keeping the 18
// continuous features, then writing them to Parquet.
func ExampleRead() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "events.csv")
	row := func(label string) string {
		s := label
		for k := 1; k <= 28; k++ {
			s += fmt.Sprintf(",%g", float64(k)/10)
		}
		return s + "\n"
	}
	os.WriteFile(in, []byte(row("1")+row("0")+row("0")), 0o644)

	ctx := context.Background()
	t, err := data.Read(ctx, in, data.ReadOptions{
		Format:  data.FormatHIGGS,       // no header, label then 28 features
		Where:   "label == 0",           // background only, selected while streaming
		Columns: data.HiggsContinuous(), // the label is tested, not kept
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(t.Rows(), "rows x", t.Cols(), "columns")
	j, _ := t.Col("m_bb")
	fmt.Println("m_bb of the first row:", t.At(0, j))

	out := filepath.Join(dir, "background.parquet")
	if err := data.CheckOutput(out, in); err != nil {
		log.Fatal(err)
	}
	if err := data.Write(out, t, data.WriteOptions{}); err != nil {
		log.Fatal(err)
	}
	back, _ := data.Read(ctx, out, data.ReadOptions{})
	fmt.Println("read back:", back.Rows(), "rows, first column", back.Columns[0])

	_, err = data.Read(ctx, in, data.ReadOptions{Format: data.FormatHIGGS, Where: "mbb > 1"})
	fmt.Println(err != nil)
	// Output:
	// 2 rows x 18 columns
	// m_bb of the first row: 2.6
	// read back: 2 rows, first column lepton_pT
	// true
}

// Selecting rows of a table in memory with the same expressions.
func ExampleCompileExpr() {
	t, _ := data.New([]string{"label", "m_bb"}, []float64{0, 1.1, 1, 1.3, 0, 1.5})
	keep, err := data.CompileExpr("label == 0 && m_bb > 1.2", t.Columns)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(t.Filter(keep).Data)
	_, err = data.CompileExpr("label == 0 && mbb > 1.2", t.Columns)
	fmt.Println(err)
	// Output:
	// [0 1.5]
	// where "label == 0 && mbb > 1.2": at position 15: unknown column "mbb" (did you mean "m_bb"?); known columns: label, m_bb
}
