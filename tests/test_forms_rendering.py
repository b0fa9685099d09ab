from django import forms

from apps.suppliers.forms import CertificateFormSet


class OnlyHidden(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, initial="abc")


def test_a_form_of_hidden_fields_only_still_renders_them():
    assert 'name="token"' in str(OnlyHidden())


def test_a_formset_management_form_renders_its_counts():
    html = str(CertificateFormSet(prefix="certificates").management_form)

    assert 'name="certificates-TOTAL_FORMS"' in html
    assert 'name="certificates-INITIAL_FORMS"' in html


def test_visible_fields_get_bootstrap_classes_and_labels():
    class Sample(forms.Form):
        name = forms.CharField(label="Name")
        kind = forms.ChoiceField(choices=[("a", "A")])
        agree = forms.BooleanField()

    html = str(Sample())

    assert 'class="form-control"' in html
    assert 'class="form-select"' in html
    assert 'class="form-check-input"' in html
    assert '<label class="form-label" for="id_name">Name</label>' in html
