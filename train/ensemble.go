package train

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"

	"hepflow/flow"
	"hepflow/model"
	"hepflow/preprocess"
)

// MemberResult is the training of one member of an ensemble.
type MemberResult struct {
	// Member counts from 0 (member 0's spec is the model's "flow").
	Member int `json:"member"`
	// Seed is the member's initial-weight seed (its flow.Spec.Seed);
	// its mini-batches were shuffled with Config.Seed + Member.
	Seed uint64 `json:"seed"`
	// InModel reports whether the member is in the model: every member of
	// a finished run; of a stopped one, see FitModel.
	InModel bool `json:"in_model"`
	// TrainNLL and ValNLL are the member's own -log p(x) in physical units
	// (nats/event), with the same dequantization noise as the ensemble's
	// figures in Result, so they compare event by event; NaN (null) when the
	// member kept no weights or there are no validation events.
	TrainNLL Nats `json:"train_nll_physical"`
	ValNLL   Nats `json:"val_nll_physical"`
	// Summary is the member's run (NLLs as in Fit's Summary).
	Summary Summary `json:"training"`
}

// evalSets are the training and validation events in physical units,
// scored by every member and by the ensemble with the same noise.
type evalSets struct {
	train, val events
	seed       uint64
}

// Streams of the dequantization noise of the ensemble's figures.
const (
	evalTrainStream = 0xe7a17
	evalValStream   = 0xe7a1f
)

// trainNLL is the physical NLL of m on the training events.
func (e evalSets) trainNLL(m *model.Model) (Nats, error) {
	return physicalNLL(m, e.train, rand.New(rand.NewPCG(e.seed, evalTrainStream)))
}

// valNLL is the physical NLL of m on the validation events (NaN without).
func (e evalSets) valNLL(m *model.Model) (Nats, error) {
	if e.val.rows() == 0 {
		return Nats(math.NaN()), nil
	}
	return physicalNLL(m, e.val, rand.New(rand.NewPCG(e.seed, evalValStream)))
}

// fitEnsemble trains opt.Ensemble members with trainMember and assembles
// the model (see FitModel). refill puts epoch 1's dequantization noise back
// into the training set before every member after the first.
func fitEnsemble(res *Result, info model.Info, scaler *preprocess.Scaler, opt ModelOptions, log *slog.Logger, ev evalSets,
	refill func() error, trainMember func(int, flow.Spec, Config) (*flow.Flow, Summary, error)) (*Result, error) {
	nm := opt.Ensemble
	var specs []flow.Spec
	var flows []*flow.Flow
	var stop error
	single := func(spec flow.Spec, f *flow.Flow) (*model.Model, error) {
		in := info
		in.Spec = spec
		return model.New(in, scaler, f)
	}
	for k := 0; k < nm && stop == nil; k++ {
		if k > 0 {
			if err := refill(); err != nil {
				return nil, fmt.Errorf("scale training events: %w", err)
			}
		}
		spec := info.Spec
		spec.Seed += uint64(k)
		cfg := opt.Config
		cfg.Seed += uint64(k)
		if cfg.Logger != nil {
			cfg.Logger = cfg.Logger.With("member", fmt.Sprintf("%d/%d", k+1, nm))
		}
		if opt.OnMember != nil {
			opt.OnMember(k, nm)
		}
		log.Info("training ensemble member", "member", k+1, "of", nm, "seed", spec.Seed)
		f, sum, err := trainMember(k, spec, cfg)
		st := Stopped(err)
		if err != nil && st == nil {
			return nil, fmt.Errorf("ensemble member %d of %d: %w", k+1, nm, err)
		}
		mr := MemberResult{Member: k, Seed: spec.Seed, Summary: sum, TrainNLL: Nats(math.NaN()), ValNLL: Nats(math.NaN())}
		if st == nil || st.Kept {
			mm, err := single(spec, f)
			if err != nil {
				return nil, err
			}
			if mr.TrainNLL, err = ev.trainNLL(mm); err != nil {
				return nil, err
			}
			if mr.ValNLL, err = ev.valNLL(mm); err != nil {
				return nil, err
			}
		}
		if st != nil {
			// The stopped member joins when its weights are worth keeping
			// and either nothing else is kept or it improves the ensemble
			// on validation events (without them there is no telling, and
			// a half-trained member is left out).
			join := st.Kept && len(flows) == 0
			if st.Kept && len(flows) > 0 && ev.val.rows() > 0 {
				without, err := model.NewEnsemble(info, scaler, specs, flows)
				if err != nil {
					return nil, err
				}
				with, err := model.NewEnsemble(info, scaler, append(specs[:len(specs):len(specs)], spec), append(flows[:len(flows):len(flows)], f))
				if err != nil {
					return nil, err
				}
				vWithout, err := ev.valNLL(without)
				if err != nil {
					return nil, err
				}
				vWith, err := ev.valNLL(with)
				if err != nil {
					return nil, err
				}
				join = vWith.Valid() && (!vWithout.Valid() || vWith < vWithout)
			}
			if join {
				specs, flows = append(specs, spec), append(flows, f)
			}
			se := *st
			se.Kept = len(flows) > 0
			what := "nothing to keep"
			switch {
			case join:
				what = fmt.Sprintf("keeping %d of %d members, the stopped one with its best weights", len(flows), nm)
			case se.Kept:
				what = fmt.Sprintf("keeping the %d of %d members finished before it", len(flows), nm)
			}
			stop = fmt.Errorf("ensemble member %d of %d: %w; %s", k+1, nm, &se, what)
		} else {
			specs, flows = append(specs, spec), append(flows, f)
		}
		mr.InModel = st == nil || len(flows) > 0 && flows[len(flows)-1] == f
		res.Members = append(res.Members, mr)
	}
	if len(flows) == 0 {
		return nil, stop
	}
	m, err := model.NewEnsemble(info, scaler, specs, flows)
	if err != nil {
		return nil, err
	}
	res.Model = m
	if res.TrainNLL, err = ev.trainNLL(m); err != nil {
		return nil, err
	}
	if res.ValNLL, err = ev.valNLL(m); err != nil {
		return nil, err
	}
	res.Summary = ensembleSummary(res, Stopped(stop))
	m.Info.Training, err = json.Marshal(res)
	if err != nil {
		return nil, err
	}
	return res, stop
}

// ensembleSummary sums the members' runs: epochs, steps, skipped steps and
// seconds over every member trained, StoppedEarly if any member stopped
// early, Stopped from the member that stopped the run; the NLLs are the
// ensemble's in physical units (Result's), and BestEpoch is 0 (each
// member's is in Result.Members).
func ensembleSummary(res *Result, st *StoppedError) Summary {
	s := Summary{TrainNLL: res.TrainNLL, ValNLL: res.ValNLL}
	var events float64
	for _, mr := range res.Members {
		ms := mr.Summary
		s.Epochs += ms.Epochs
		s.Steps += ms.Steps
		s.SkippedSteps += ms.SkippedSteps
		s.Seconds += ms.Seconds
		s.StoppedEarly = s.StoppedEarly || ms.StoppedEarly
		s.TrainEvents, s.ValEvents = ms.TrainEvents, ms.ValEvents
		events += ms.EventsPerSec * ms.Seconds
	}
	if s.Seconds > 0 {
		s.EventsPerSec = events / s.Seconds
	}
	if st != nil {
		s.Stopped = st.Reason
	}
	return s
}
