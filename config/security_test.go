package config

import "testing"

func TestCheckClient(t *testing.T) {
	simple := `<realms><realm name="clients"><authentication><simple>
  <user username="app" password="pw"><role>r</role></user>
  <user username="ops" password=""/>
</simple></authentication></realm>
<realm name="members"><identity><username-password username="m" password="mpw"/></identity></realm></realms>`
	type try struct {
		user, pass string
		want       bool
	}
	tests := []struct {
		name string
		body string
		try  []try
	}{
		{"no security element", ``, []try{{"", "", true}, {"x", "y", true}}},
		{"security disabled ignores users", `<security enabled="false">` + simple +
			`<client-authentication realm="clients"/></security>`, []try{{"x", "y", true}}},
		{"simple users", `<security enabled="true">` + simple +
			`<client-authentication realm="clients"/><member-authentication realm="members"/></security>`,
			[]try{{"app", "pw", true}, {"ops", "", true}, {"app", "PW", false}, {"app", "", false},
				{"m", "mpw", false}, {"", "", false}, {"apps", "pw", false}}},
		{"default authentication with member identity", `<security enabled="true">` + simple +
			`<member-authentication realm="members"/></security>`,
			[]try{{"m", "mpw", true}, {"m", "x", false}, {"app", "pw", false}}},
		{"client realm with identity only", `<security enabled="true">` + simple +
			`<client-authentication realm="members"/></security>`,
			[]try{{"m", "mpw", true}, {"app", "pw", false}}},
		{"member identity wins over client identity", `<security enabled="true"><realms>
<realm name="a"><identity><username-password username="a" password="a"/></identity></realm>
<realm name="b"><identity><username-password username="b" password="b"/></identity></realm></realms>
<member-authentication realm="a"/><client-authentication realm="b"/></security>`,
			[]try{{"a", "a", true}, {"b", "b", false}}},
		{"enabled without any credentials: only the cluster name counts", `<security enabled="true"/>`,
			[]try{{"", "", true}, {"x", "y", true}}},
		{"realm with an empty user list", `<security enabled="true"><realms><realm name="r"><authentication><simple/>
</authentication></realm></realms><client-authentication realm="r"/></security>`,
			[]try{{"", "", false}, {"x", "y", false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := mustParse(t, hz(tt.body), ParseOptions{})
			for _, x := range tt.try {
				if got := c.Security.CheckClient(x.user, x.pass); got != x.want {
					t.Errorf("CheckClient(%q, %q) = %v, want %v", x.user, x.pass, got, x.want)
				}
			}
		})
	}
}

func TestSecurityParsed(t *testing.T) {
	c, w := mustParse(t, hz(`<security enabled="true"><realms><realm name="r">
<authentication><simple><user username="u" password="p"><role>a</role><role>b</role></user></simple></authentication>
<identity><username-password username="i" password="j"/></identity>
<access-control-service/>
</realm></realms><client-authentication realm="r"/><member-authentication realm="r"/>
<client-permissions/></security>`), ParseOptions{})
	s := c.Security
	r := s.Realms["r"]
	if !s.Enabled || s.ClientAuthentication != "r" || s.MemberAuthentication != "r" || r.Name != "r" ||
		r.Authentication != AuthenticationSimple || len(r.Users) != 1 || r.Users[0].Username != "u" ||
		r.Users[0].Password != "p" || len(r.Users[0].Roles) != 2 || r.Identity == nil || *r.Identity != (UsernamePassword{"i", "j"}) {
		t.Errorf("Security = %+v", s)
	}
	if len(w) != 2 || w[0].Element != "access-control-service" || w[1].Element != "client-permissions" {
		t.Errorf("warnings = %v", w)
	}

	// Unsupported authentication types warn, and fail only when used with
	// security enabled; go-built unsupported realms fail closed.
	c, w = mustParse(t, hz(`<security enabled="false"><realms><realm name="r"><authentication><jaas/></authentication>
</realm></realms><client-authentication realm="r"/></security>`), ParseOptions{})
	if len(w) != 1 || w[0].Element != "jaas" || c.Security.Realms["r"].Authentication != "jaas" {
		t.Errorf("jaas: %v, %+v", w, c.Security)
	}
	c.Security.Enabled = true
	if c.Security.CheckClient("", "") {
		t.Errorf("unsupported authentication type accepted a client")
	}
	if c.Validate() == nil {
		t.Errorf("Validate accepted an unsupported authentication type")
	}
}
