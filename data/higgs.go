package data

import "slices"

// HiggsLabel is the name of the HIGGS class column (1 = signal, 0 = background).
const HiggsLabel = "label"

// higgsFeatures is the UCI HIGGS feature order (columns 2..29 of the file).
var higgsFeatures = [...]string{
	"lepton_pT", "lepton_eta", "lepton_phi", "missing_energy_magnitude", "missing_energy_phi",
	"jet1_pt", "jet1_eta", "jet1_phi", "jet1_btag",
	"jet2_pt", "jet2_eta", "jet2_phi", "jet2_btag",
	"jet3_pt", "jet3_eta", "jet3_phi", "jet3_btag",
	"jet4_pt", "jet4_eta", "jet4_phi", "jet4_btag",
	"m_jj", "m_jjj", "m_lv", "m_jlv", "m_bb", "m_wbb", "m_wwbb",
}

// The functions below return fresh slices, so callers may modify them.

// HiggsColumns returns the 29 column names of the UCI HIGGS layout: the label,
// then the 28 features.
func HiggsColumns() []string { return append([]string{HiggsLabel}, higgsFeatures[:]...) }

// HiggsFeatures returns the 28 HIGGS feature names in file order.
func HiggsFeatures() []string { return slices.Clone(higgsFeatures[:]) }

// HiggsBTags returns the 4 b-tag columns: discrete, with 3 levels.
func HiggsBTags() []string {
	return []string{"jet1_btag", "jet2_btag", "jet3_btag", "jet4_btag"}
}

// HiggsPhis returns the 6 azimuthal-angle columns, periodic in [-pi, pi].
func HiggsPhis() []string {
	return []string{"lepton_phi", "missing_energy_phi", "jet1_phi", "jet2_phi", "jet3_phi", "jet4_phi"}
}

// HiggsContinuous returns the 18 features left after removing the phi's and
// the b-tags, in file order: the usual set for a flow on HIGGS.
func HiggsContinuous() []string {
	skip := append(HiggsBTags(), HiggsPhis()...)
	var out []string
	for _, f := range higgsFeatures {
		if !slices.Contains(skip, f) {
			out = append(out, f)
		}
	}
	return out
}
