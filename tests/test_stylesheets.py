"""url() references of a stylesheet (readiness.crawl.stylesheets.css_urls)."""

from readiness.crawl.stylesheets import css_urls


def test_every_url_form_comments_and_data_urls():
    css = r"""
    /* url(/commented.png) is not a reference */
    a { background: url( "img/a.png" ) }  b { background: URL('img/b.png') }
    c { background: url(img/c.png) }       d { background: url(img/d\.png) }
    e { background: url("img/\2f e.png") }
    @import "print.css"; @import url(theme.css);
    f { background: url(data:image/png;base64,iVBORw0KGgo=) } g { src: url() }
    """
    assert css_urls(css) == ["img/a.png", "img/b.png", "img/c.png", "img/d.png", "img//e.png",
                             "print.css", "theme.css"]
