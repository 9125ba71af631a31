package preprocess_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"hepflow/preprocess"
)

func Example() {
	// Training events: a transverse momentum, an angle and a 3-level b-tag.
	cols := []string{"pt", "phi", "btag"}
	rng := rand.New(rand.NewPCG(1, 2))
	const rows = 1000
	x := make([]float64, 0, rows*len(cols))
	for range rows {
		x = append(x, 20+30*rng.ExpFloat64(), math.Pi*(2*rng.Float64()-1), float64(rng.IntN(3)))
	}
	s, err := preprocess.Fit(x, rows, cols, preprocess.Options{Periodic: []string{"phi"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range s.Columns() {
		fmt.Println(c.Name, c.Kind, c.Levels)
	}

	// To the flow's input space and back, with the log-Jacobian per row.
	event := []float64{45.5, -1.25, 2}
	y := make([]float32, 3)
	logdet := make([]float64, 1)
	if err := s.ToLatent(y, event, 1, logdet, rng); err != nil {
		fmt.Println(err)
		return
	}
	back := make([]float64, 3)
	s.ToData(back, y, 1)
	fmt.Printf("back: %.4f %.4f %v\n", back[0], back[1], back[2])

	// Beyond the fitted range a continuous value still has a finite density
	// (the tails); a discrete value never seen in training has mass zero and
	// is refused, naming the row and column.
	fmt.Println(s.Check([]float64{1e4, 4, 2}, 1))
	fmt.Println(s.Check([]float64{45.5, 0, 1.5}, 1))

	// Stored in the model file as JSON and loaded back.
	b, _ := json.Marshal(s)
	var loaded preprocess.Scaler
	if err := json.Unmarshal(b, &loaded); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(loaded.Dim(), loaded.Names())
	// Output:
	// pt positive []
	// phi periodic []
	// btag discrete [0 1 2]
	// back: 45.5000 -1.2500 2
	// <nil>
	// row 0, column "btag": value 1.5 is not one of the 3 values of this discrete column in the training data [0 1 2]
	// 3 [pt phi btag]
}
