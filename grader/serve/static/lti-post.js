document.getElementById("lti-post").submit();
